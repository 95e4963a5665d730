// Terraform reads `${` and `%{` inside any string as the start of a template, and the dialplan is
// full of `${...}`. Every string the stack takes from data (file contents, environment values)
// goes in through this, escaped the way Terraform's JSON syntax defines (`$${`, `%%{`), so
// Terraform stores and writes it exactly as given. (cdktf's Fn.rawString is not it: it also
// turns newlines into `\n` text.)
// (split/join, not replace: in a replacement string "$$" itself means "$".)
export const literal = (text: string): string => text.split("${").join("$${").split("%{").join("%%{");
