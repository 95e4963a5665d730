// Hostile strings for property tests of everything that may reach an Asterisk file: arbitrary
// unicode, soups of the characters that mean something to Asterisk's syntax, near-valid values
// with one such character, known injection attempts, and values at and over the length limits.
import fc from "fast-check";

const NASTY = [
  "\n",
  "\r",
  ";",
  "[",
  "]",
  ",",
  "$",
  "{",
  "}",
  "#",
  '"',
  "'",
  "(",
  ")",
  "=",
  ">",
  " ",
  "\t",
  "\\",
  "\u2028",
  "é",
  "☎",
  "\u0000",
];
const PLAIN = ["a", "b", "z", "0", "1", "9", "-", ".", "+", "_", "/"];

/** Random strings: arbitrary unicode, nasty-character soups, and near-valid strings with one nasty character. */
export const anyString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...NASTY, ...PLAIN), maxLength: 40 }),
  fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...PLAIN), minLength: 2, maxLength: 20 }),
      fc.constantFrom(...NASTY),
      fc.string({ unit: fc.constantFrom(...PLAIN), maxLength: 20 }),
    )
    .map(([a, n, b]) => `${a}${n}${b}`),
  fc.constantFrom(
    "acme\n[evil]\nexten => s,1,System(rm -rf /)",
    "x;y",
    "${SHELL(id)}",
    "#include /etc/passwd",
    "a,b",
    "1)\n same => n,System(id",
  ),
  // Values at and just over the length limits: the longest accepted ones must still give names
  // Asterisk keeps whole (the verifier checks every name's length).
  fc.constantFrom("a".repeat(24), "a".repeat(25), `a${"b".repeat(30)}z`, "a".repeat(33), "1".repeat(15), "1".repeat(16)),
);
