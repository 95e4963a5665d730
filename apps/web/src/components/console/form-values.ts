// What a console form sends, read from its FormData the same way on every page: text trimmed
// (a pasted value's stray spaces are not an error), an optional field left blank is absent.
// Secrets (passwords) are read as typed, not through these.

/** A field's text, trimmed; "" when the field is absent or blank. */
export const formText = (form: FormData, name: string): string => String(form.get(name) ?? "").trim();

/** A field's text, trimmed; undefined when blank (the server then applies its default or says it is required). */
export const optionalText = (form: FormData, name: string): string | undefined => formText(form, name) || undefined;
