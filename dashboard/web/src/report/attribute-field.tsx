// One question of a service (an Open311 attribute) as a form control: a line or a box of text, a number,
// a date and time, one choice (radio buttons, a list when long) or several (check boxes).
import type { ServiceAttribute } from '@city/shared/open311';
import { OPEN311_LIMITS } from '@city/shared/open311';

/** more choices than this: a drop-down list instead of radio buttons */
const MAX_RADIOS = 6;

export interface AttributeFieldProps {
  attribute: ServiceAttribute;
  value: string | string[] | undefined;
  onChange: (value: string | string[]) => void;
  errors: string[] | undefined;
}

export function AttributeField({ attribute: a, value, onChange, errors }: AttributeFieldProps) {
  const id = `attr-${a.code}`;
  const errorId = `${id}-error`;
  const invalid = (errors?.length ?? 0) > 0;
  const described = [a.datatype_description ? `${id}-hint` : '', invalid ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const text = typeof value === 'string' ? value : '';
  const chosen = Array.isArray(value) ? value : [];

  // informational: nothing to answer
  if (!a.variable) {
    return (
      <p className="notice" data-testid={`attribute-${a.code}`}>
        {a.description}
      </p>
    );
  }

  const label = (
    <>
      {a.description}
      {a.required ? <span className="required"> (required)</span> : <span className="optional"> (optional)</span>}
    </>
  );
  const hint = a.datatype_description ? (
    <span className="hint" id={`${id}-hint`}>
      {a.datatype_description}
    </span>
  ) : null;
  const errorList = invalid ? (
    <span className="field-error" id={errorId} role="alert">
      {errors!.join(' ')}
    </span>
  ) : null;

  if (a.datatype === 'singlevaluelist' && a.values.length <= MAX_RADIOS) {
    return (
      <fieldset className="field choice-group" data-testid={`attribute-${a.code}`} aria-invalid={invalid} aria-describedby={described}>
        <legend>{label}</legend>
        {hint}
        <div className="choices">
          {a.values.map((v) => (
            <label key={v.key} className="choice">
              <input type="radio" name={id} value={v.key} checked={text === v.key} onChange={() => onChange(v.key)} />
              <span>{v.name}</span>
            </label>
          ))}
        </div>
        {errorList}
      </fieldset>
    );
  }
  if (a.datatype === 'multivaluelist') {
    return (
      <fieldset className="field choice-group" data-testid={`attribute-${a.code}`} aria-invalid={invalid} aria-describedby={described}>
        <legend>
          {label} <span className="hint">Choose all that apply.</span>
        </legend>
        {hint}
        <div className="choices">
          {a.values.map((v) => (
            <label key={v.key} className="choice">
              <input
                type="checkbox"
                name={id}
                value={v.key}
                checked={chosen.includes(v.key)}
                onChange={(ev) => onChange(ev.target.checked ? [...chosen, v.key] : chosen.filter((k) => k !== v.key))}
              />
              <span>{v.name}</span>
            </label>
          ))}
        </div>
        {errorList}
      </fieldset>
    );
  }

  const common = { id, 'aria-invalid': invalid, 'aria-describedby': described, 'aria-required': a.required };
  let control;
  switch (a.datatype) {
    case 'singlevaluelist':
      control = (
        <select {...common} value={text} onChange={(ev) => onChange(ev.target.value)}>
          <option value="">Choose…</option>
          {a.values.map((v) => (
            <option key={v.key} value={v.key}>
              {v.name}
            </option>
          ))}
        </select>
      );
      break;
    case 'number':
      control = <input {...common} type="text" inputMode="decimal" value={text} onChange={(ev) => onChange(ev.target.value)} />;
      break;
    case 'datetime':
      control = <input {...common} type="datetime-local" value={text} onChange={(ev) => onChange(ev.target.value)} />;
      break;
    case 'text':
      control = <textarea {...common} rows={3} maxLength={OPEN311_LIMITS.attributeTextMaxChars} value={text} onChange={(ev) => onChange(ev.target.value)} />;
      break;
    default:
      control = <input {...common} type="text" maxLength={OPEN311_LIMITS.attributeStringMaxChars} value={text} onChange={(ev) => onChange(ev.target.value)} />;
  }
  return (
    <div className="field" data-testid={`attribute-${a.code}`}>
      <label htmlFor={id}>{label}</label>
      {hint}
      {control}
      {errorList}
    </div>
  );
}
