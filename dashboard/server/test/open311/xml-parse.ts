// A tiny, strict reader for the XML the Open311 server writes (and the spec's examples): a declaration,
// elements without attributes, text with the five entities and numeric references. It throws on
// anything malformed, so parsing a body proves it well-formed for this subset.

export interface XmlNode {
  name: string;
  children: XmlNode[];
  /** the decoded text directly inside the element */
  text: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// XML 1.0 Char production
const isXmlChar = (cp: number) =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

export function parseXml(doc: string): { declaration: string | undefined; root: XmlNode } {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`malformed XML at ${pos}: ${why}: ${JSON.stringify(doc.slice(pos, pos + 30))}`);
  };
  for (const ch of doc) if (!isXmlChar(ch.codePointAt(0)!)) fail(`character U+${ch.codePointAt(0)!.toString(16)} is not allowed in XML`);

  let declaration: string | undefined;
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    declaration = doc.slice(0, end + 2);
    pos = end + 2;
  }
  const skipSpace = () => {
    while (pos < doc.length && /\s/.test(doc[pos]!)) pos++;
  };

  const decodeText = (raw: string): string => {
    if (raw.includes('<')) fail('raw < in text');
    return raw.replace(/&([^;]*);?/g, (match, body: string) => {
      if (!match.endsWith(';')) fail('& without ;');
      if (body in ENTITY) return ENTITY[body]!;
      const num = /^#x([0-9A-Fa-f]+)$/.exec(body) ?? /^#(\d+)$/.exec(body);
      if (!num) return fail(`unknown entity &${body};`);
      const cp = parseInt(num[1]!, body.startsWith('#x') ? 16 : 10);
      if (!isXmlChar(cp)) fail(`reference to a character XML does not allow (${cp})`);
      return String.fromCodePoint(cp);
    });
  };

  const element = (): XmlNode => {
    if (doc[pos] !== '<') fail('expected <');
    pos++;
    const name = NAME.exec(doc.slice(pos))?.[0] ?? fail('expected an element name');
    pos += name.length;
    skipSpace();
    if (doc.startsWith('/>', pos)) {
      pos += 2;
      return { name, children: [], text: '' };
    }
    if (doc[pos] !== '>') fail('attributes are not expected');
    pos++;
    const node: XmlNode = { name, children: [], text: '' };
    for (;;) {
      const next = doc.indexOf('<', pos);
      if (next < 0) fail(`<${name}> is not closed`);
      node.text += decodeText(doc.slice(pos, next));
      pos = next;
      if (doc.startsWith('</', pos)) {
        pos += 2;
        const closing = NAME.exec(doc.slice(pos))?.[0];
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        pos += name.length;
        skipSpace();
        if (doc[pos] !== '>') fail('expected >');
        pos++;
        return node;
      }
      node.children.push(element());
    }
  };

  skipSpace();
  const root = element();
  skipSpace();
  if (pos !== doc.length) fail('content after the root element');
  return { declaration, root };
}

/** Names, order and (trimmed) leaf text of a tree, for comparing documents that differ only in layout. */
export type Shape = string | { [name: string]: Shape }[];
export function shape(node: XmlNode): Shape {
  if (node.children.length === 0) return node.text.trim();
  if (node.text.trim() !== '') throw new Error(`<${node.name}> mixes text and elements`);
  return node.children.map((c) => ({ [c.name]: shape(c) }));
}

export const child = (node: XmlNode, name: string): XmlNode => {
  const found = node.children.find((c) => c.name === name);
  if (!found) throw new Error(`<${node.name}> has no <${name}>`);
  return found;
};
