import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_DATATYPES } from '@city/shared/open311';
import {
  defaultCatalogue,
  expectedAtFor,
  findService,
  parseCatalogue,
  toServiceDefinition,
  toServiceList,
  type CatalogueFile,
} from '../../src/open311/catalogue.ts';

/** A small valid catalogue file, fresh for each test. */
function file(): CatalogueFile {
  return {
    services: [
      {
        service_code: 'A1',
        service_name: 'Alpha',
        description: 'The first service.',
        group: 'streets',
        category: 'other',
        attributes: [
          { code: 'second', datatype: 'string', order: 2, description: 'Shown second' },
          { code: 'first', datatype: 'singlevaluelist', required: true, order: 1, description: 'Shown first', values: [{ key: 'x', name: 'X' }] },
        ],
      },
      { service_code: 'B2', service_name: 'Beta', description: 'No questions.', group: 'streets', category: 'waste' },
    ],
  };
}

describe('the default catalogue', () => {
  it('is valid and lists services 001 to 008', () => {
    expect(defaultCatalogue().services.map((s) => s.service_code)).toEqual(['001', '002', '003', '004', '005', '006', '007', '008']);
  });

  it.each([
    ['001', 'Pothole', 'traffic'],
    ['002', 'Street light out', 'lighting'],
    ['003', 'Illegal dumping', 'waste'],
    ['004', 'Flooding', 'flooding'],
    ['005', 'Noise', 'noise'],
    ['006', 'Graffiti', 'citizen_report'],
    ['007', 'Damaged sign', 'traffic'],
    ['008', 'Overflowing bin', 'waste'],
  ])('service %s (%s) becomes a %s incident', (code, name, category) => {
    const service = findService(defaultCatalogue(), code);
    expect([service?.service_name, service?.category]).toEqual([name, category]);
  });

  it('lists every service as realtime with metadata, keywords and a group', () => {
    const list = toServiceList(defaultCatalogue());
    expect(list.filter((s) => !(s.metadata && s.type === 'realtime' && s.keywords.includes(', ') && s.group !== ''))).toEqual([]);
  });

  it('uses every datatype of the spec somewhere', () => {
    const used = new Set(defaultCatalogue().services.flatMap((s) => s.attributes.map((a) => a.datatype)));
    expect([...used].sort()).toEqual([...ATTRIBUTE_DATATYPES].sort());
  });

  it.each([
    ['001', 'size', { datatype: 'singlevaluelist', required: true, values: ['small', 'medium', 'large'] }],
    ['002', 'pole_number', { datatype: 'string', required: false, values: [] }],
    ['004', 'depth_cm', { datatype: 'number', required: false, values: [] }],
    ['005', 'time_of_day', { datatype: 'singlevaluelist', required: true, values: ['morning', 'afternoon', 'evening', 'night'] }],
  ])('service %s asks %s', (code, attribute, expected) => {
    const found = toServiceDefinition(findService(defaultCatalogue(), code)!).attributes.find((a) => a.code === attribute);
    expect({ datatype: found?.datatype, required: found?.required, values: found?.values.map((v) => v.key) }).toEqual(expected);
  });

  it('gives flooding an informational (variable false) notice', () => {
    const notice = toServiceDefinition(findService(defaultCatalogue(), '004')!).attributes.find((a) => !a.variable);
    expect(notice?.code).toBe('safety_notice');
  });
});

describe('toServiceList', () => {
  it('sets metadata from whether a service has attributes', () => {
    const catalogue = parseCatalogue(file());
    expect(catalogue.ok && toServiceList(catalogue.catalogue).map((s) => [s.service_code, s.metadata])).toEqual([
      ['A1', true],
      ['B2', false],
    ]);
  });
});

describe('toServiceDefinition', () => {
  it('orders attributes by `order` and fills the defaults', () => {
    const catalogue = parseCatalogue(file());
    if (!catalogue.ok) throw new Error(catalogue.errors.join('; '));
    expect(toServiceDefinition(catalogue.catalogue.services[0]!)).toEqual({
      service_code: 'A1',
      attributes: [
        { variable: true, code: 'first', datatype: 'singlevaluelist', required: true, datatype_description: null, order: 1, description: 'Shown first', values: [{ key: 'x', name: 'X' }] },
        { variable: true, code: 'second', datatype: 'string', required: false, datatype_description: null, order: 2, description: 'Shown second', values: [] },
      ],
    });
  });
});

describe('expectedAtFor', () => {
  it('adds the service level in hours', () => {
    expect(expectedAtFor(findService(defaultCatalogue(), '004')!, 1_000)).toBe(1_000 + 24 * 3_600_000);
  });
});

describe('parseCatalogue', () => {
  type Edit = (f: CatalogueFile) => void;
  const a1 = (f: CatalogueFile) => f.services[0]!;
  it.each<[string, Edit, string]>([
    ['a service code used twice', (f) => (f.services[1]!.service_code = 'A1'), 'services: service_code "A1" is used twice'],
    ['an attribute code used twice', (f) => (a1(f).attributes![1]!.code = 'second'), 'services.0.attributes: attribute code "second" is used twice'],
    ['an order used twice', (f) => (a1(f).attributes![1]!.order = 2), 'services.0.attributes: order 2 is used twice'],
    ['a list without values', (f) => (a1(f).attributes![1]!.values = []), 'services.0.attributes.1.values: a singlevaluelist needs at least one value'],
    ['values on a string', (f) => (a1(f).attributes![0]!.values = [{ key: 'k', name: 'K' }]), 'services.0.attributes.0.values: only list datatypes take values'],
    ['a value key used twice', (f) => a1(f).attributes![1]!.values!.push({ key: 'x', name: 'Again' }), 'services.0.attributes.1.values: value key "x" is used twice'],
    ['an unknown incident category', (f) => ((a1(f) as { category: string }).category = 'potholes'), 'services.0.category: expected one of'],
    ['an unknown datatype', (f) => ((a1(f).attributes![0] as { datatype: string }).datatype = 'date'), 'services.0.attributes.0.datatype: expected one of'],
    ['min above max', (f) => Object.assign(a1(f).attributes![0]!, { datatype: 'number', min: 5, max: 1 }), 'services.0.attributes.0.max: max 1 is below min 5'],
    ['bounds on a string', (f) => (a1(f).attributes![0]!.min = 0), 'services.0.attributes.0.min: min and max apply to number attributes only'],
    ['a required informational attribute', (f) => (a1(f).attributes![1]!.variable = false), 'services.0.attributes.1.required: an attribute with variable false cannot be required'],
    ['a code with a space', (f) => (a1(f).service_code = 'A 1'), 'services.0.service_code: expected 1-64 letters, digits'],
    ['a keyword with a comma', (f) => (a1(f).keywords = ['a, b']), 'services.0.keywords.0: expected no commas'],
    ['a zero order', (f) => (a1(f).attributes![0]!.order = 0), 'services.0.attributes.0.order: expected more than 0'],
    ['an unknown field', (f) => Object.assign(a1(f), { colour: 'red' }), 'services.0: Unrecognized key: "colour"'],
    ['a missing group', (f) => delete (a1(f) as { group?: string }).group, 'services.0.group: required'],
    ['no services', (f) => (f.services = []), 'services: expected at least 1 items'],
  ])('refuses %s', (_case, edit, expected) => {
    const f = file();
    edit(f);
    const result = parseCatalogue(f);
    expect(result.ok ? [] : result.errors).toEqual([expect.stringContaining(expected)]);
  });

  it('lists every problem, not just the first', () => {
    const f = file();
    f.services[1]!.service_code = 'A1';
    delete (f.services[0] as { group?: string }).group;
    const result = parseCatalogue(f);
    expect(result.ok ? 0 : result.errors.length).toBe(2);
  });

  it('reads a city catalogue from JSON text', () => {
    const result = parseCatalogue(JSON.parse(JSON.stringify(file())));
    expect(result.ok && result.catalogue.services.map((s) => s.service_code)).toEqual(['A1', 'B2']);
  });
});
