// Splits a byte stream of JSON objects into objects. AVR LLM connectors write objects back to
// back, with or without newlines between them, and a chunk may end mid-object (or mid-string),
// so this tracks brace depth and string state instead of splitting on newlines.

/** Refuses a single object larger than this: a provider streaming garbage must not grow memory. */
export const MAX_OBJECT_CHARS = 256 * 1024;

export class JsonStreamError extends Error {}

export class JsonObjectStream {
  private buffer = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Feeds text; returns each complete top-level value, parsed. Throws JsonStreamError on garbage. */
  push(text: string): unknown[] {
    this.buffer += text;
    const out: unknown[] = [];
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === "\\") this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === " " || c === "\n" || c === "\r" || c === "\t" || c === ",") continue;
        if (c !== "{") throw new JsonStreamError(`expected a JSON object, found ${JSON.stringify(c)}`);
        this.start = i;
      }
      if (c === '"') this.inString = true;
      else if (c === "{" || c === "[") this.depth++;
      else if (c === "}" || c === "]") {
        this.depth--;
        if (this.depth === 0) {
          const raw = this.buffer.slice(this.start, i + 1);
          try {
            out.push(JSON.parse(raw));
          } catch {
            throw new JsonStreamError(`invalid JSON object: ${raw.slice(0, 80)}`);
          }
          this.start = -1;
        }
      }
    }
    // Keep only the unfinished object.
    if (this.depth === 0 && !this.inString) {
      this.buffer = "";
      this.scanned = 0;
    } else {
      this.buffer = this.buffer.slice(this.start);
      this.start = 0;
      this.scanned = this.buffer.length;
      if (this.buffer.length > MAX_OBJECT_CHARS) throw new JsonStreamError(`a JSON object over ${MAX_OBJECT_CHARS} characters`);
    }
    return out;
  }

  /** True when the stream ended between objects. */
  get complete(): boolean {
    return this.depth === 0 && !this.inString;
  }
}
