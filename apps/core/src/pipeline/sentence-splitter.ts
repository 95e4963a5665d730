// Cuts a streamed LLM reply into sentences, so each can go to TTS as soon as it is complete
// instead of waiting for the whole reply. A sentence ends at . ! ? (or … and a newline) followed
// by whitespace; abbreviations and decimals ("Dr. Smith", "3.5") do not end one.

const ABBREVIATIONS = new Set(["mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no"]);
/** A sentence this long is cut at the last comma or space, so TTS never waits for a run-on. */
const MAX_SENTENCE_CHARS = 240;

export class SentenceSplitter {
  private buffer = "";

  /** Adds streamed text; returns the sentences it completed. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i] as string;
      const next = this.buffer[i + 1];
      const ends = (c === "." || c === "!" || c === "?" || c === "…" || c === "\n") && next !== undefined && /\s/.test(next);
      if (ends && !(c === "." && this.isAbbreviation(start, i))) {
        const sentence = this.buffer.slice(start, i + 1).trim();
        if (sentence) out.push(sentence);
        start = i + 1;
      }
    }
    this.buffer = this.buffer.slice(start);
    while (this.buffer.length > MAX_SENTENCE_CHARS) {
      const head = this.buffer.slice(0, MAX_SENTENCE_CHARS);
      const cut = Math.max(head.lastIndexOf(", "), head.lastIndexOf(" "));
      const at = cut > 0 ? cut + 1 : MAX_SENTENCE_CHARS;
      out.push(this.buffer.slice(0, at).trim());
      this.buffer = this.buffer.slice(at);
    }
    return out;
  }

  /** The rest of the reply when the stream ends. */
  flush(): string[] {
    const rest = this.buffer.trim();
    this.buffer = "";
    return rest ? [rest] : [];
  }

  private isAbbreviation(start: number, dot: number): boolean {
    const word = /([\p{L}.]+)$/u.exec(this.buffer.slice(start, dot))?.[1]?.toLowerCase();
    return word !== undefined && ABBREVIATIONS.has(word);
  }
}
