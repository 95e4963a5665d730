// A parser of Asterisk's configuration syntax, strict enough to prove what a file contains:
// sections `[name]` with templates `(!)` and inheritance `(tpl,...)`, `key = value` and
// `key => value` entries, `;` comments (with `\;` escapes) and `;-- --;` blocks, and
// `#include` / `#tryinclude` / `#exec` directives. Anything else is a parse error, so a file
// that parses holds exactly the objects the parser reports.

export type TConfigEntry = { key: string; op: "=" | "=>"; value: string; line: number };
export type TConfigSection = { name: string; template: boolean; inherits: string[]; entries: TConfigEntry[]; line: number };
export type TConfigDirective = { directive: "include" | "tryinclude" | "exec"; argument: string; line: number };
export type TParsedConfig = { sections: TConfigSection[]; directives: TConfigDirective[] };

export class ConfigParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Removes comments from one line (block comments are handled by the caller). */
function stripComment(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && line[i + 1] === ";") {
      out += ";";
      i++;
      continue;
    }
    if (c === ";") break;
    out += c;
  }
  return out.trim();
}

const SECTION = /^\[([^\][]+)\](?:\(([^()]*)\))?$/;
const ENTRY = /^([^=\s][^=]*?)\s*(=>|=)\s*(.*)$/;
const DIRECTIVE = /^#(include|tryinclude|exec)\s+(.+)$/;

export function parseAsteriskConfig(text: string): TParsedConfig {
  const sections: TConfigSection[] = [];
  const directives: TConfigDirective[] = [];
  let current: TConfigSection | undefined;
  let inBlockComment = false;
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    let line = raw;
    if (inBlockComment) {
      const end = line.indexOf("--;");
      if (end === -1) continue;
      inBlockComment = false;
      line = line.slice(end + 3);
    }
    const blockStart = line.indexOf(";--");
    if (blockStart !== -1) {
      const end = line.indexOf("--;", blockStart + 3);
      if (end === -1) {
        inBlockComment = true;
        line = line.slice(0, blockStart);
      } else {
        line = line.slice(0, blockStart) + line.slice(end + 3);
      }
    }
    if (line.includes("\r")) throw new ConfigParseError(lineNo, "carriage return inside a line");
    const content = stripComment(line);
    if (content === "") continue;
    const directive = DIRECTIVE.exec(content);
    if (directive) {
      directives.push({
        directive: directive[1] as TConfigDirective["directive"],
        argument: (directive[2] as string).trim(),
        line: lineNo,
      });
      continue;
    }
    if (content.startsWith("#")) throw new ConfigParseError(lineNo, `unknown directive ${JSON.stringify(content)}`);
    const header = SECTION.exec(content);
    if (header) {
      const options = header[2] === undefined ? [] : header[2].split(",").map((o) => o.trim());
      current = {
        name: (header[1] as string).trim(),
        template: options.includes("!"),
        inherits: options.filter((o) => o !== "!" && o !== ""),
        entries: [],
        line: lineNo,
      };
      sections.push(current);
      continue;
    }
    if (content.startsWith("[")) throw new ConfigParseError(lineNo, `malformed section header ${JSON.stringify(content)}`);
    const entry = ENTRY.exec(content);
    if (!entry) throw new ConfigParseError(lineNo, `not a section, entry or directive: ${JSON.stringify(content)}`);
    if (!current) throw new ConfigParseError(lineNo, "entry outside any section");
    current.entries.push({
      key: (entry[1] as string).trim(),
      op: entry[2] as "=" | "=>",
      value: (entry[3] as string).trim(),
      line: lineNo,
    });
  }
  if (inBlockComment) throw new ConfigParseError(lines.length, "unterminated block comment");
  return { sections, directives };
}

export type TDialplanStep = { exten: string; priority: string; label: string | undefined; app: string; args: string; line: number };
export type TDialplanContext = { name: string; steps: TDialplanStep[]; includes: string[] };

const EXTEN_VALUE = /^([^,]+),([^,]+),([A-Za-z][A-Za-z0-9_]*)\((.*)\)$/;
const SAME_VALUE = /^(n|[0-9]+)(?:\((\w+)\))?,([A-Za-z][A-Za-z0-9_]*)\((.*)\)$/;

/** Reads extensions.conf sections as dialplan: each `exten`/`same` step with its application. */
export function parseDialplan(config: TParsedConfig): TDialplanContext[] {
  return config.sections.map((section) => {
    const steps: TDialplanStep[] = [];
    const includes: string[] = [];
    let exten: string | undefined;
    for (const e of section.entries) {
      if (e.key === "include" && e.op === "=>") {
        includes.push(e.value);
        continue;
      }
      if (e.key === "exten" && e.op === "=>") {
        const m = EXTEN_VALUE.exec(e.value);
        if (!m) throw new ConfigParseError(e.line, `malformed exten: ${JSON.stringify(e.value)}`);
        const [prio, label] = /^(\w+)(?:\((\w+)\))?$/.exec(m[2] as string)?.slice(1) ?? [];
        if (!prio) throw new ConfigParseError(e.line, `malformed priority ${m[2]}`);
        exten = m[1] as string;
        steps.push({ exten, priority: prio, label, app: m[3] as string, args: m[4] as string, line: e.line });
        continue;
      }
      if (e.key === "same" && e.op === "=>") {
        const m = SAME_VALUE.exec(e.value);
        if (!m || exten === undefined) throw new ConfigParseError(e.line, `malformed or orphan same: ${JSON.stringify(e.value)}`);
        steps.push({ exten, priority: m[1] as string, label: m[2], app: m[3] as string, args: m[4] as string, line: e.line });
        continue;
      }
      throw new ConfigParseError(e.line, `unexpected dialplan entry ${e.key} ${e.op}`);
    }
    return { name: section.name, steps, includes };
  });
}
