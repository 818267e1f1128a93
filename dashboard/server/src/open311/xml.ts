// A small XML writer for GeoReport v2 bodies: element-only documents without attributes or
// namespaces (the spec's XML is "schemaless and without a namespace declaration"). Pure.
//
// The JSON and XML bodies come from the same wire object (the spec maps one to the other by the
// Spark convention): an object is an element per key, in key order; an array is one child per item,
// named by the caller's item names; null gives an empty element; a key whose value is undefined is
// left out. Values are checked at run time, so typed interfaces go in as they are; anything else
// (a function, a bigint, NaN) throws.

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** The element each array item becomes, by the array's element name. */
export type ItemNames = Readonly<Record<string, string>>;

// XML names we write: ASCII letters, digits, _ . - ; no colon (no namespaces), not starting with "xml"
const NAME_PATTERN = /^(?!xml)[A-Za-z_][A-Za-z0-9_.-]*$/i;

/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF and CR; unpaired
 * surrogates; U+FFFE, U+FFFF) become U+FFFD. Markup characters, CR (which parsers would turn into LF)
 * and the C1 controls (allowed but invisible) become references. Everything else is written as is.
 */
const ESCAPE_PATTERN = /[&<>"'\r\u007F-\u009F]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u{D800}-\u{DFFF}\u{FFFE}\u{FFFF}]/gu;

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXmlText(text: string): string {
  return text.replace(ESCAPE_PATTERN, (ch) => {
    const entity = ENTITIES[ch];
    if (entity) return entity;
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0d || (cp >= 0x7f && cp <= 0x9f)) return `&#x${cp.toString(16).toUpperCase()};`;
    return '\uFFFD';
  });
}

function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new Error(`not an XML element name we write: ${JSON.stringify(name)}`);
  return name;
}

function scalarText(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as XML`);
    return String(value);
  }
  return escapeXmlText(String(value));
}

function writeElement(name: string, value: unknown, itemNames: ItemNames, indent: string, out: string[]): void {
  checkName(name);
  if (value === null || value === undefined) {
    out.push(`${indent}<${name}></${name}>`);
    return;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out.push(`${indent}<${name}>${scalarText(value)}</${name}>`);
    return;
  }
  if (typeof value !== 'object') throw new Error(`cannot write a ${typeof value} as XML in <${name}>`);
  const children: [string, unknown][] = [];
  if (Array.isArray(value)) {
    const itemName = itemNames[name];
    if (itemName === undefined) throw new Error(`no item element name for the array <${name}>`);
    for (const item of value) children.push([itemName, item]);
  } else {
    for (const [key, child] of Object.entries(value)) if (child !== undefined) children.push([key, child]);
  }
  if (children.length === 0) {
    out.push(`${indent}<${name}></${name}>`);
    return;
  }
  out.push(`${indent}<${name}>`);
  for (const [childName, child] of children) writeElement(childName, child, itemNames, `${indent}  `, out);
  out.push(`${indent}</${name}>`);
}

/** A whole document: the declaration, then the root element, indented by two spaces, ending in a newline. */
export function xmlDocument(rootName: string, value: unknown, itemNames: ItemNames): string {
  const out = [XML_DECLARATION];
  writeElement(rootName, value, itemNames, '', out);
  return `${out.join('\n')}\n`;
}
