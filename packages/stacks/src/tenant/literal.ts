// Terraform reads `${` and `%{` inside any string as the start of a template, and the dialplan is
// full of `${...}`. Every string the stack takes from data (file contents, environment values)
// goes in through this, escaped, so Terraform stores and writes it exactly as given.
import { Fn } from "cdktf";

export const literal = (text: string): string => Fn.rawString(text);
