import { describe, expect, it } from 'vitest';
import { defaultCatalogue, findService, parseCatalogue, type Catalogue, type CatalogueFile } from '../../src/open311/catalogue.ts';
import {
  CONTENT_TYPES,
  errorHttpStatus,
  formatCreated,
  formatErrors,
  formatRequests,
  formatServiceDefinition,
  formatServiceList,
  formatTokens,
  formatUpdates,
  toSafeJson,
  type Open311Format,
  type Rendered,
} from '../../src/open311/format.ts';
import type { ServiceRequestRecord, ServiceRequestUpdateRecord } from '../../src/open311/model.ts';
import { parseReportStatus } from '../../src/open311/statuses.ts';
import { escapeXmlText, xmlDocument } from '../../src/open311/xml.ts';
import {
  ERROR_JSON,
  ERROR_XML,
  POST_NOTICE,
  POST_RESPONSE_XML,
  REQUESTS_JSON,
  REQUESTS_XML,
  SERVICE_DEFINITION_JSON,
  SERVICE_DEFINITION_XML,
  SERVICE_LIST_XML,
  TOKEN_XML,
  UPDATES_XML,
} from './spec-examples.ts';
import { child, parseXml, shape } from './xml-parse.ts';

const CHICAGO = 'America/Chicago';
/** The spec's examples are stamped -08:00 all year. */
const SPEC_ZONE = 'Etc/GMT+8';

function catalogueOf(file: CatalogueFile): Catalogue {
  const result = parseCatalogue(file);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.catalogue;
}

const xmlShape = (r: Rendered) => shape(parseXml(r.body).root);
const specShape = (xml: string) => shape(parseXml(xml).root);
const json = (r: Rendered) => JSON.parse(r.body) as unknown;

/** The three services of the spec's GET services example (each with a question, so metadata is true). */
const specServices = (): Catalogue =>
  catalogueOf({
    services: [
      ['001', 'Cans left out 24x7', 'Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.', 'sanitation'],
      ['002', 'Construction plate shifted', 'Metal construction plate covering the street or sidewalk has been moved.', 'street'],
      ['003', 'Curb or curb ramp defect', 'Sidewalk curb or ramp has problems such as cracking, missing pieces, holes, and/or chipped curb.', 'street'],
    ].map(([service_code, service_name, description, group]) => ({
      service_code: service_code!,
      service_name: service_name!,
      description: description!,
      group: group!,
      keywords: ['lorem', 'ipsum', 'dolor'],
      category: 'other' as const,
      attributes: [{ code: 'note', datatype: 'string' as const, order: 1, description: 'Note' }],
    })),
  });

/** Records equal to the spec's GET requests example. */
const specRequests = (): ServiceRequestRecord[] => {
  const common = {
    serviceCode: '006',
    category: 'other' as const,
    addressString: '8TH AVE and JUDAH ST',
    addressId: '545483',
    zipcode: '94122',
    position: { lat: 37.762221815, lon: -122.4651145 },
    attributes: {},
    reporter: { email: 'resident@example.org', firstName: 'Pat' },
  };
  return [
    {
      ...common,
      id: '638344',
      status: 'duplicate',
      statusNotes: 'Duplicate request.',
      requestedAt: Date.parse('2010-04-14T06:37:38-08:00'),
      updatedAt: Date.parse('2010-04-14T06:37:38-08:00'),
      expectedAt: Date.parse('2010-04-15T06:37:38-08:00'),
      mediaUrl: 'http://city.gov.s3.amazonaws.com/requests/media/638344.jpg',
    },
    {
      ...common,
      id: '638349',
      status: 'open',
      requestedAt: Date.parse('2010-04-19T06:37:38-08:00'),
      updatedAt: Date.parse('2010-04-19T06:37:38-08:00'),
      expectedAt: Date.parse('2010-04-19T06:37:38-08:00'),
      mediaUrl: 'http://city.gov.s3.amazonaws.com/requests/media/638349.jpg',
    },
  ];
};
const sidewalks = () =>
  catalogueOf({ services: [{ service_code: '006', service_name: 'Sidewalk and Curb Issues', description: 'Sidewalks.', group: 'street', category: 'other' }] });

describe("the spec's examples, written back", () => {
  it('GET services (XML): names, order and values of the first service', () => {
    const ours = xmlShape(formatServiceList(specServices(), 'xml')) as Record<string, unknown>[];
    const spec = specShape(SERVICE_LIST_XML) as Record<string, unknown>[];
    expect(ours[0]).toEqual(spec[0]);
  });

  it('GET services (XML): the other services hold the same fields (the spec lists them in another order)', () => {
    const sorted = (s: unknown) => (s as { service: Record<string, string>[] }).service.map((f) => Object.entries(f)[0]!).sort();
    const ours = xmlShape(formatServiceList(specServices(), 'xml')) as unknown[];
    const spec = specShape(SERVICE_LIST_XML) as unknown[];
    expect(ours.slice(1).map(sorted)).toEqual(spec.slice(1).map(sorted));
  });

  it('GET services (JSON): the codes as strings', () => {
    expect(json(formatServiceList(specServices(), 'json'))).toEqual([
      {
        service_code: '001',
        service_name: 'Cans left out 24x7',
        description: 'Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.',
        metadata: true,
        type: 'realtime',
        keywords: 'lorem, ipsum, dolor',
        group: 'sanitation',
      },
      expect.objectContaining({ service_code: '002' }),
      expect.objectContaining({ service_code: '003' }),
    ]);
  });

  const dmv66 = () =>
    catalogueOf({
      services: [
        {
          service_code: 'DMV66',
          service_name: 'DMV',
          description: 'DMV.',
          group: 'dmv',
          category: 'other',
          attributes: [
            {
              code: 'WHISHETN',
              datatype: 'singlevaluelist',
              required: true,
              order: 1,
              description: 'What is the ticket/tag/DL number?',
              values: [
                { key: '123', name: 'Ford' },
                { key: '124', name: 'Chrysler' },
              ],
            },
          ],
        },
      ],
    }).services[0]!;

  it('GET services/DMV66 (XML)', () => {
    expect(xmlShape(formatServiceDefinition(dmv66(), 'xml'))).toEqual(specShape(SERVICE_DEFINITION_XML));
  });

  it('GET services/DMV66 (JSON)', () => {
    expect(json(formatServiceDefinition(dmv66(), 'json'))).toEqual(SERVICE_DEFINITION_JSON);
  });

  it('POST requests response (XML): names and order; we echo the account_id that was sent', () => {
    const record: ServiceRequestRecord = {
      ...specRequests()[0]!,
      id: '293944',
      serviceNotice: POST_NOTICE,
      reporter: { email: 'smit333@sfgov.edu', accountId: '123456' },
    };
    const ours = xmlShape(formatCreated([record], sidewalks(), 'xml'));
    const spec = specShape(POST_RESPONSE_XML);
    expect(ours).toEqual([{ request: [{ service_request_id: '293944' }, { service_notice: POST_NOTICE }, { account_id: '123456' }] }]);
    expect(spec).toEqual([{ request: [{ service_request_id: '293944' }, { service_notice: POST_NOTICE }, { account_id: '' }] }]);
  });

  it('POST requests response (JSON): account_id null when none was sent', () => {
    const record: ServiceRequestRecord = { ...specRequests()[0]!, id: '293944', serviceNotice: POST_NOTICE, reporter: {} };
    expect(json(formatCreated([record], sidewalks(), 'json'))).toEqual([{ service_request_id: '293944', service_notice: POST_NOTICE, account_id: null }]);
  });

  it('GET tokens/12345 (XML)', () => {
    expect(xmlShape(formatTokens([{ service_request_id: '638344', token: '12345' }], 'xml'))).toEqual(specShape(TOKEN_XML));
  });

  it('GET tokens/12345 (JSON)', () => {
    expect(json(formatTokens([{ service_request_id: '638344', token: '12345' }], 'json'))).toEqual([{ service_request_id: '638344', token: '12345' }]);
  });

  it('GET requests (XML): both requests, every field in the spec order', () => {
    expect(xmlShape(formatRequests(specRequests(), { catalogue: sidewalks(), timeZone: SPEC_ZONE }, 'xml'))).toEqual(specShape(REQUESTS_XML));
  });

  it('GET requests (JSON)', () => {
    expect(json(formatRequests(specRequests(), { catalogue: sidewalks(), timeZone: SPEC_ZONE }, 'json'))).toEqual(REQUESTS_JSON);
  });

  it('GET requests/638344 (XML): a list of one', () => {
    const spec = specShape(REQUESTS_XML) as unknown[];
    expect(xmlShape(formatRequests(specRequests().slice(0, 1), { catalogue: sidewalks(), timeZone: SPEC_ZONE }, 'xml'))).toEqual(spec.slice(0, 1));
  });

  it('errors (XML)', () => {
    expect(xmlShape(formatErrors(ERROR_JSON, 'xml'))).toEqual(specShape(ERROR_XML));
  });

  it('errors (JSON)', () => {
    expect(json(formatErrors(ERROR_JSON, 'json'))).toEqual(ERROR_JSON);
  });

  it('servicerequestupdates (XML), FixMyStreet', () => {
    const update: ServiceRequestUpdateRecord = {
      id: '638344',
      serviceRequestId: '1',
      status: 'investigating',
      updatedAt: Date.parse('2026-11-01T06:30:00Z'),
      description: 'This is a note',
    };
    expect(formatUpdates([update], CHICAGO, 'xml').body).toBe(`${UPDATES_XML}\n`);
  });

  it('servicerequestupdates (JSON): strings, never null, as FixMyStreet’s schema wants', () => {
    const update: ServiceRequestUpdateRecord = { id: 'u-1', serviceRequestId: '1', status: 'not_councils_responsibility', updatedAt: Date.parse('2026-11-28T15:30:00Z') };
    expect(json(formatUpdates([update], CHICAGO, 'json'))).toEqual([
      { update_id: 'u-1', service_request_id: '1', status: 'NOT_COUNCILS_RESPONSIBILITY', updated_datetime: '2026-11-28T09:30:00-06:00', description: '', media_url: '' },
    ]);
  });

  it('servicerequestupdates status reads back as the status it was', () => {
    const updates: ServiceRequestUpdateRecord[] = (['action_scheduled', 'fixed', 'internal_referral'] as const).map((status, i) => ({
      id: `u${i}`,
      serviceRequestId: '1',
      status,
      updatedAt: 0,
    }));
    const statuses = parseXml(formatUpdates(updates, CHICAGO, 'xml').body).root.children.map((u) => parseReportStatus(child(u, 'status').text));
    expect(statuses).toEqual(['action_scheduled', 'fixed', 'internal_referral']);
  });
});

describe('XML escaping', () => {
  const NASTY = `<script>alert("hi & bye")</script> it's <b>bold</b> & 'quoted' > done`;
  const record = (description: string): ServiceRequestRecord => ({
    id: '1',
    serviceCode: '001',
    category: 'traffic',
    status: 'open',
    description,
    attributes: {},
    reporter: {},
    requestedAt: 0,
    updatedAt: 0,
  });
  const describeXml = (description: string) => formatRequests([record(description)], { catalogue: defaultCatalogue(), timeZone: CHICAGO }, 'xml').body;

  it('escapes markup and both quotes', () => {
    expect(describeXml(NASTY)).toContain(
      '<description>&lt;script&gt;alert(&quot;hi &amp; bye&quot;)&lt;/script&gt; it&apos;s &lt;b&gt;bold&lt;/b&gt; &amp; &apos;quoted&apos; &gt; done</description>',
    );
  });

  it('stays well-formed and reads back as the text that went in', () => {
    const request = parseXml(describeXml(NASTY)).root.children[0]!;
    expect(child(request, 'description').text).toBe(NASTY);
  });

  it.each([
    ['tab and line feed, as they are', 'a\tb\nc', 'a\tb\nc', 'a\tb\nc'],
    ['carriage return, as a reference (a parser would turn it into a line feed)', 'a\r\nb', 'a&#xD;\nb', 'a\r\nb'],
    ['NUL and other C0 controls, replaced', 'a\u0000b\u0001c\u001Fd', 'a\uFFFDb\uFFFDc\uFFFDd', 'a\uFFFDb\uFFFDc\uFFFDd'],
    ['C1 controls, as references', 'a\u0085b\u007Fc', 'a&#x85;b&#x7F;c', 'a\u0085b\u007Fc'],
    ['a lone surrogate, replaced', 'a\uD800b', 'a\uFFFDb', 'a\uFFFDb'],
    ['U+FFFE, replaced', 'a\uFFFEb', 'a\uFFFDb', 'a\uFFFDb'],
    ['emoji and accents, as they are', 'Café 🕳️ ñ', 'Café 🕳️ ñ', 'Café 🕳️ ñ'],
  ])('%s', (_case, input, escaped, readBack) => {
    const doc = xmlDocument('description', input, {});
    expect([escapeXmlText(input), parseXml(doc).root.text]).toEqual([escaped, readBack]);
  });

  it.each(['xml-thing', '1abc', 'a:b', 'a b', ''])('refuses the element name %j', (name) => {
    expect(() => xmlDocument(name, 'x', {})).toThrow(/not an XML element name/);
  });

  it('refuses a number it cannot write', () => {
    expect(() => xmlDocument('lat', NaN, {})).toThrow(/cannot write NaN/);
  });

  it('starts with the XML declaration', () => {
    expect(formatErrors([{ code: 400, description: 'x' }], 'xml').body.split('\n')[0]).toBe('<?xml version="1.0" encoding="utf-8"?>');
  });
});

describe('JSON bodies', () => {
  it('escape < > & as \\u sequences and parse back to the same text', () => {
    const body = toSafeJson({ d: '<script>"x" & y</script>\u2028' });
    expect([body.includes('<'), (JSON.parse(body) as { d: string }).d]).toEqual([false, '<script>"x" & y</script>\u2028']);
  });
});

describe('privacy', () => {
  const reporter = { email: 'ada@example.org', phone: '+13125550100', firstName: 'Augusta', lastName: 'Lovelace', deviceId: 'device-xyz-77' };
  const secrets = Object.values(reporter);
  const record: ServiceRequestRecord = {
    id: '7',
    serviceCode: '001',
    category: 'traffic',
    status: 'fixed',
    position: { lat: 41.88, lon: -87.63 },
    district: 'loop',
    description: 'Hole',
    attributes: { size: 'large' },
    reporter,
    requestedAt: 0,
    updatedAt: 0,
  };
  const update: ServiceRequestUpdateRecord = { id: 'u1', serviceRequestId: '7', status: 'fixed', updatedAt: 0, description: 'Patched' };
  const ctx = (extensions: boolean) => ({ catalogue: defaultCatalogue(), timeZone: CHICAGO, extensions });

  it.each<[string, () => Rendered]>([
    ['GET requests, XML', () => formatRequests([record], ctx(false), 'xml')],
    ['GET requests, JSON', () => formatRequests([record], ctx(false), 'json')],
    ['GET requests with extensions, XML', () => formatRequests([record], ctx(true), 'xml')],
    ['GET requests with extensions, JSON', () => formatRequests([record], ctx(true), 'json')],
    ['POST requests response, XML', () => formatCreated([record], defaultCatalogue(), 'xml')],
    ['POST requests response, JSON', () => formatCreated([record], defaultCatalogue(), 'json')],
    ['servicerequestupdates, XML', () => formatUpdates([update], CHICAGO, 'xml')],
    ['servicerequestupdates, JSON', () => formatUpdates([update], CHICAGO, 'json')],
  ])('%s carries no name, email, phone or device id', (_case, render) => {
    const body = render().body;
    expect(secrets.filter((s) => body.includes(s) || body.includes(s.replace('+', '')))).toEqual([]);
  });
});

describe('formatRequests', () => {
  const record = (over: Partial<ServiceRequestRecord> = {}): ServiceRequestRecord => ({
    id: '9',
    serviceCode: '004',
    category: 'flooding',
    status: 'action_scheduled',
    district: 'near-west',
    attributes: {},
    reporter: {},
    requestedAt: Date.parse('2026-11-28T15:30:00Z'),
    updatedAt: Date.parse('2026-11-28T16:00:00Z'),
    ...over,
  });
  const render = (r: ServiceRequestRecord, format: Open311Format, extensions = false) =>
    formatRequests([r], { catalogue: defaultCatalogue(), timeZone: CHICAGO, extensions }, format);

  it('adds the rich status and district with extensions (JSON)', () => {
    expect(json(render(record(), 'json', true))).toEqual([
      expect.objectContaining({ status: 'open', extended_attributes: { status: 'ACTION_SCHEDULED', district: 'near-west' } }),
    ]);
  });

  it('adds the rich status and district with extensions (XML), after the spec fields', () => {
    const request = parseXml(render(record(), 'xml', true).body).root.children[0]!;
    expect([request.children.at(-1)?.name, shape(child(request, 'extended_attributes'))]).toEqual([
      'extended_attributes',
      [{ status: 'ACTION_SCHEDULED' }, { district: 'near-west' }],
    ]);
  });

  it('leaves extended_attributes out by default', () => {
    expect(Object.keys((json(render(record(), 'json')) as Record<string, unknown>[])[0]!)).not.toContain('extended_attributes');
  });

  it("takes the service's name, agency and notice from the catalogue", () => {
    expect(json(render(record(), 'json'))).toEqual([
      expect.objectContaining({
        service_name: 'Flooding',
        agency_responsible: 'Department of Water Management',
        service_notice: 'Flooding reports are triaged within 4 hours.',
      }),
    ]);
  });

  it('writes times in the city zone', () => {
    expect(json(render(record(), 'json'))).toEqual([
      expect.objectContaining({ requested_datetime: '2026-11-28T09:30:00-06:00', updated_datetime: '2026-11-28T10:00:00-06:00' }),
    ]);
  });

  it('leaves service_name empty for a code the catalogue no longer has', () => {
    expect(json(render(record({ serviceCode: 'retired' }), 'json'))).toEqual([expect.objectContaining({ service_code: 'retired', service_name: null })]);
  });

  it('leaves lat and long empty for a request located by address', () => {
    expect(json(render(record({ addressString: '121 N LaSalle St' }), 'json'))).toEqual([
      expect.objectContaining({ address: '121 N LaSalle St', lat: null, long: null }),
    ]);
  });

  it('writes an empty list as an empty root', () => {
    expect([formatRequests([], { catalogue: defaultCatalogue(), timeZone: CHICAGO }, 'xml').body, formatRequests([], { catalogue: defaultCatalogue(), timeZone: CHICAGO }, 'json').body]).toEqual([
      '<?xml version="1.0" encoding="utf-8"?>\n<service_requests></service_requests>\n',
      '[]',
    ]);
  });
});

describe('formatServiceDefinition', () => {
  it('writes the values of a non-list attribute as an empty element', () => {
    const definition = parseXml(formatServiceDefinition(findService(defaultCatalogue(), '002')!, 'xml').body).root;
    const pole = child(definition, 'attributes').children.find((a) => child(a, 'code').text === 'pole_number')!;
    expect(shape(child(pole, 'values'))).toBe('');
  });

  it('writes every service of the default catalogue as well-formed XML', () => {
    const roots = defaultCatalogue().services.map((s) => parseXml(formatServiceDefinition(s, 'xml').body).root.name);
    expect(new Set(roots)).toEqual(new Set(['service_definition']));
  });
});

describe('content types and HTTP status', () => {
  it.each([
    ['xml', 'text/xml; charset=utf-8'],
    ['json', 'application/json; charset=utf-8'],
  ] as const)('%s is served as %s', (format, contentType) => {
    expect([formatErrors([], format).contentType, CONTENT_TYPES[format]]).toEqual([contentType, contentType]);
  });

  it.each([
    ['a missing api_key wins', [400, 404, 403], 403],
    ['not found before a bad request', [400, 404], 404],
    ['a bad request', [400, 400], 400],
    ['no errors: a bad request', [], 400],
  ])('%s', (_case, codes, expected) => {
    expect(errorHttpStatus(codes.map((code) => ({ code, description: 'x' })))).toBe(expected);
  });
});
