/** A set of checkboxes under one legend, all named `name` (FormData.getAll reads them). */
export function CheckboxGroup({
  legend,
  name,
  options,
  checked,
}: {
  legend: string;
  name: string;
  options: readonly string[];
  checked: readonly string[];
}) {
  return (
    <fieldset className="space-y-1.5">
      <legend className="text-sm font-medium text-slate-800">{legend}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {options.map((o) => (
          <label key={o} className="flex items-center gap-1.5">
            <input type="checkbox" name={name} value={o} defaultChecked={checked.includes(o)} />
            {o}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** A labelled select, with its error next to it. An option is a value shown as is, or a value and its text. */
export function Select({
  label,
  name,
  options,
  defaultValue,
  required,
  error,
}: {
  label: string;
  name: string;
  options: readonly (string | { value: string; text: string })[];
  defaultValue?: string;
  required?: boolean;
  error?: string;
}) {
  return (
    <div className="space-y-1.5">
      <label htmlFor={name} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <select
        id={name}
        name={name}
        defaultValue={defaultValue}
        required={required}
        aria-invalid={Boolean(error) || undefined}
        className="block w-full rounded-md px-3 py-2 text-sm ring-1 ring-inset ring-slate-300"
      >
        {options.map((o) =>
          typeof o === "string" ? (
            <option key={o}>{o}</option>
          ) : (
            <option key={o.value} value={o.value}>
              {o.text}
            </option>
          ),
        )}
      </select>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}
