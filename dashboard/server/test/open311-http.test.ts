// Citizen reports over HTTP against the real dashboard (broker, SQLite store, sessions): Open311
// GeoReport v2 conformance in JSON and XML, the city's own form with real photos, public status,
// open data, and the operators' API with its role checks and audit rows. No mocks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvReader, type AuditEntry } from '@city/shared';
import type { NearbyReportsResponse, OperatorReport, OperatorReportDetail, PublicReport, ReportCreatedResponse } from '@city/shared/reports';
import { tmpDir } from '../../../test/support/tmp.ts';
import { readDashboardConfig } from '../src/config.ts';
import { defaultCatalogue, toServiceDefinition, toServiceList } from '../src/open311/index.ts';
import { child, parseXml, shape, type XmlNode } from './open311/xml-parse.ts';
import { POST_REQUEST_BODY } from './open311/spec-examples.ts';
import { GPS_LATITUDE_BYTES, jpegWithMetadata, plainJpeg, plainWebp, webpWithMetadata } from './support/images.ts';
import { login, startStack, type Stack } from './support/stack.ts';

const API_KEY = 'test-key-0123456789abcdef';
const ADMIN = { username: 'chief', password: 'correct horse battery' };
const LOOP = { lat: '41.8819', long: '-87.6278' };

async function start(env: Record<string, string> = {}): Promise<Stack> {
  return startStack({
    RULES_ENGINE: 'false',
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    OPEN311_API_KEYS: `${API_KEY},second-key-0123456789`,
    REPORTS_POST_RATE_PER_MIN: '1000',
    ...env,
  });
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
  xml(): XmlNode;
}

async function call(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T, xml: () => parseXml(text).root };
}

const get = (base: string, path: string, headers: Record<string, string> = {}) => call(base, path, { headers });

const post311 = (base: string, path: string, body: string | URLSearchParams) =>
  call(base, path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: String(body) });

const form311 = (fields: Record<string, string>) => new URLSearchParams({ api_key: API_KEY, service_code: '002', ...LOOP, ...fields });

/** The Open311 errors of a JSON reply. */
const errorsOf = (reply: Reply) => reply.json<{ code: number; description: string }[]>();

/** The leaf texts of an XML <errors> body. */
const xmlErrors = (reply: Reply) => reply.xml().children.map((e) => ({ code: Number(child(e, 'code').text), description: child(e, 'description').text }));

interface Photo {
  data: Buffer;
  name: string;
  type: string;
}

function multipart(fields: Record<string, string>, photos: Photo[] = []): FormData {
  const body = new FormData();
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  for (const p of photos) body.append('photo', new Blob([new Uint8Array(p.data)], { type: p.type }), p.name);
  return body;
}

const postForm = (base: string, fields: Record<string, string>, photos: Photo[] = [], headers: Record<string, string> = {}) =>
  call(base, '/api/reports', { method: 'POST', body: multipart({ service_code: '002', ...LOOP, ...fields }, photos), headers });


/** A catalogue file: the demo city's, with service 001 asking the spec example's two questions. */
function specCatalogueFile(): string {
  const file = join(tmpDir('catalogue-'), 'catalogue.json');
  const services = defaultCatalogue().services.map((s) =>
    s.service_code !== '001'
      ? s
      : {
          ...s,
          attributes: [
            { code: 'WHISPAWN', datatype: 'string', order: 1, description: 'Whispawn', required: false, variable: true, datatype_description: null, values: [] },
            { code: 'WHISDORN', datatype: 'string', order: 2, description: 'Whisdorn', required: false, variable: true, datatype_description: null, values: [] },
          ],
        },
  );
  writeFileSync(file, JSON.stringify({ services }));
  return file;
}

const CONTACT = ['ada@example.org', '5550100', 'Lovelace', 'smit333', '111111111', 'john', 'smith', 'tt222111'];
const expectNoContact = (text: string) => {
  for (const secret of CONTACT) expect(text).not.toContain(secret);
};

describe('Open311 discovery and services', () => {
  it('answers discovery, the service list and each definition in JSON and XML, with the spec content types', async () => {
    const { base } = await start();
    const discovery = await get(base, '/open311/discovery.json');
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(discovery.json()).toEqual({
      changeset: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/),
      contact: expect.any(String),
      key_service: expect.any(String),
      endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${base}/open311/v2`, changeset: expect.any(String), type: 'production', formats: ['text/xml', 'application/json'] }],
    });
    const discoveryXml = await get(base, '/open311/discovery.xml');
    expect(discoveryXml.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const endpoint = child(child(discoveryXml.xml(), 'endpoints'), 'endpoint');
    expect(child(endpoint, 'specification').text).toBe('http://wiki.open311.org/GeoReport_v2');
    expect(child(endpoint, 'formats').children.map((f) => [f.name, f.text])).toEqual([
      ['format', 'text/xml'],
      ['format', 'application/json'],
    ]);

    const catalogue = defaultCatalogue();
    const services = await get(base, '/open311/v2/services.json');
    expect(services.status).toBe(200);
    expect(services.headers.get('access-control-allow-origin')).toBe('*');
    expect(services.json()).toEqual(toServiceList(catalogue));
    const servicesXml = await get(base, '/open311/v2/services.xml');
    const root = servicesXml.xml();
    expect(root.name).toBe('services');
    expect(root.children.map((s) => child(s, 'service_code').text)).toEqual(catalogue.services.map((s) => s.service_code));
    expect(shape(root.children[0]!)).toEqual([
      { service_code: '001' },
      { service_name: 'Pothole' },
      { description: catalogue.services[0]!.description },
      { metadata: 'true' },
      { type: 'realtime' },
      { keywords: catalogue.services[0]!.keywords.join(', ') },
      { group: catalogue.services[0]!.group },
    ]);

    const definition = await get(base, '/open311/v2/services/005.json');
    expect(definition.json()).toEqual(toServiceDefinition(catalogue.services.find((s) => s.service_code === '005')!));
    const definitionXml = (await get(base, '/open311/v2/services/005.xml')).xml();
    expect(definitionXml.name).toBe('service_definition');
    expect(child(definitionXml, 'attributes').children.map((a) => child(a, 'code').text)).toEqual(['time_of_day', 'source', 'started_at']);
  });

  it('answers unknown services, methods and formats with the spec error list and 404', async () => {
    const { base } = await start();
    const unknown = await get(base, '/open311/v2/services/999.json');
    expect(unknown.status).toBe(404);
    expect(errorsOf(unknown)).toEqual([{ code: 404, description: expect.stringContaining('999') }]);
    const unknownXml = await get(base, '/open311/v2/services/999.xml');
    expect(unknownXml.status).toBe(404);
    expect(unknownXml.xml().name).toBe('errors');
    expect(xmlErrors(unknownXml)).toEqual([{ code: 404, description: expect.stringContaining('999') }]);
    for (const path of ['/open311/v2/services', '/open311/v2/services.html', '/open311/v2/requests', '/open311/v2/nothing', '/open311/v2/services/001', '/open311/elsewhere']) {
      const reply = await get(base, path);
      expect(reply.status, path).toBe(404);
      expect(reply.headers.get('content-type'), path).toBe('application/json; charset=utf-8');
      expect(errorsOf(reply)[0]!.code, path).toBe(404);
    }
    const method = await get(base, '/open311/v2/nothing.xml');
    expect(method.status).toBe(404);
    expect(xmlErrors(method)[0]!.code).toBe(404);
  });
});

describe('Open311 requests', () => {
  it("takes the spec's example POST (form-urlencoded) and gives it back in JSON and XML without the reporter", async () => {
    const { base } = await start({ OPEN311_CATALOGUE_FILE: specCatalogueFile(), OPEN311_JURISDICTION_ID: 'city.gov' });
    // the example as printed, with our key and a place inside the demo city instead of San Francisco
    const body = POST_REQUEST_BODY.replace('api_key=xyz', `api_key=${API_KEY}`).replace('lat=37.76524078&long=-122.4212043', 'lat=41.8819&long=-87.6278');
    const created = await post311(base, '/open311/v2/requests.xml', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    const request = child(created.xml(), 'request');
    expect(created.xml().name).toBe('service_requests');
    expect(shape(request)).toEqual([{ service_request_id: '1001' }, { service_notice: defaultCatalogue().services[0]!.service_notice ?? '' }, { account_id: '123456' }]);

    const asJson = await get(base, '/open311/v2/requests/1001.json');
    expect(asJson.status).toBe(200);
    const [record] = asJson.json<Record<string, unknown>[]>();
    expect(record).toEqual({
      service_request_id: '1001',
      status: 'open',
      status_notes: null,
      service_name: 'Pothole',
      service_code: '001',
      description: 'A large sinkhole is destroying the street',
      agency_responsible: expect.any(String),
      service_notice: expect.any(String),
      requested_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[56]:00$/),
      updated_datetime: expect.any(String),
      expected_datetime: expect.any(String),
      address: '1234 5th street',
      address_id: null,
      zipcode: null,
      lat: 41.8819,
      long: -87.6278,
      media_url: 'http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg',
    });
    expectNoContact(asJson.text);

    const asXml = await get(base, '/open311/v2/requests/1001.xml');
    const xmlRequest = child(asXml.xml(), 'request');
    expect(xmlRequest.children.map((c) => c.name)).toEqual(Object.keys(record!));
    for (const node of xmlRequest.children) expect(node.text, node.name).toBe(record![node.name] === null ? '' : String(record![node.name]));
    expectNoContact(asXml.text);

    const extended = (await get(base, '/open311/v2/requests/1001.json?extensions=true')).json<Record<string, unknown>[]>();
    expect(extended[0]!.extended_attributes).toEqual({ status: 'OPEN', district: 'loop' });
    // another jurisdiction, an unknown id
    expect((await get(base, '/open311/v2/requests/1001.json?jurisdiction_id=elsewhere.gov')).status).toBe(404);
    const missing = await get(base, '/open311/v2/requests/4242.xml');
    expect(missing.status).toBe(404);
    expect(xmlErrors(missing)).toEqual([{ code: 404, description: 'service_request_id 4242 not found' }]);
    expect(errorsOf(await get(base, '/open311/v2/requests/4242.json'))).toEqual([{ code: 404, description: 'service_request_id 4242 not found' }]);
  });

  it('searches by id, status, service and date range, and lists public updates after a status change', async () => {
    const { base } = await start();
    for (const code of ['002', '002', '006']) expect((await post311(base, '/open311/v2/requests.json', form311({ service_code: code }))).status).toBe(201);
    const admin = await login(base, ADMIN.username, ADMIN.password);
    expect((await admin.call('POST', '/api/reports/1002/status', { status: 'fixed', note: 'Lamp replaced' })).status).toBe(200);

    const ids = async (query: string) => (await get(base, `/open311/v2/requests.json${query}`)).json<{ service_request_id: string }[]>().map((r) => r.service_request_id);
    expect(await ids('')).toEqual(['1003', '1002', '1001']);
    expect(await ids('?status=closed')).toEqual(['1002']);
    expect(await ids('?status=open')).toEqual(['1003', '1001']);
    expect(await ids('?service_code=006')).toEqual(['1003']);
    expect(await ids('?service_code=002&status=open')).toEqual(['1001']);
    expect(await ids('?service_request_id=1001,1003&status=closed')).toEqual(['1003', '1001']);
    expect(await ids('?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z')).toEqual([]);
    expect(await ids('?page_size=1&page=2')).toEqual(['1002']);
    const closed = (await get(base, '/open311/v2/requests.json?status=closed')).json<Record<string, unknown>[]>();
    expect(closed[0]).toMatchObject({ status: 'closed', status_notes: 'Lamp replaced' });
    const xml = (await get(base, '/open311/v2/requests.xml?service_code=002')).xml();
    expect(xml.children.map((r) => child(r, 'service_request_id').text)).toEqual(['1002', '1001']);

    // more than 90 days: 400, in either format
    const wide = '?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z';
    const tooWide = await get(base, `/open311/v2/requests.json${wide}`);
    expect(tooWide.status).toBe(400);
    expect(errorsOf(tooWide)[0]!.description).toMatch(/at most 90/);
    expect((await get(base, `/open311/v2/requests.xml${wide}`)).status).toBe(400);
    expect((await get(base, '/open311/v2/requests.json?status=maybe')).status).toBe(400);
    expect((await get(base, '/open311/v2/requests.json?start_date=yesterday')).status).toBe(400);

    const updates = await get(base, '/open311/v2/servicerequestupdates.json');
    expect(updates.json()).toEqual([
      { update_id: expect.any(String), service_request_id: '1002', status: 'FIXED', updated_datetime: expect.any(String), description: 'Lamp replaced', media_url: '' },
    ]);
    const updatesXml = (await get(base, '/open311/v2/servicerequestupdates.xml')).xml();
    expect(updatesXml.name).toBe('service_request_updates');
    expect(shape(updatesXml.children[0]!)).toEqual([
      { update_id: expect.any(String) },
      { service_request_id: '1002' },
      { status: 'FIXED' },
      { updated_datetime: expect.any(String) },
      { description: 'Lamp replaced' },
      { media_url: '' },
    ]);
    expect((await get(base, '/open311/v2/servicerequestupdates.json?start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z')).json()).toEqual([]);
    // the author (an operator) is not published
    expect(updates.text).not.toContain(ADMIN.username);
  });

  it('refuses with the spec error list: missing or wrong api_key 403, unknown service 404, outside the city 400, long text 400, big body 413', async () => {
    const { base } = await start();
    const missingKey = await post311(base, '/open311/v2/requests.json', new URLSearchParams({ service_code: '002', ...LOOP }));
    expect(missingKey.status).toBe(403);
    expect(errorsOf(missingKey)).toEqual([{ code: 403, description: expect.stringMatching(/^api_key: required/) }]);
    const wrongKey = await post311(base, '/open311/v2/requests.xml', form311({ api_key: 'xyz' }));
    expect(wrongKey.status).toBe(403);
    expect(xmlErrors(wrongKey)).toEqual([{ code: 403, description: "Invalid api_key received -- can't proceed with create_request." }]);
    const unknownService = await post311(base, '/open311/v2/requests.json', form311({ service_code: '999' }));
    expect(unknownService.status).toBe(404);
    expect(errorsOf(unknownService)[0]!.description).toMatch(/service_code "999" not found/);
    const outside = await post311(base, '/open311/v2/requests.json', form311({ lat: '37.76524078', long: '-122.4212043' }));
    expect(outside.status).toBe(400);
    expect(errorsOf(outside)[0]!.description).toMatch(/outside the service area/);
    const long = await post311(base, '/open311/v2/requests.json', form311({ description: 'x'.repeat(4001) }));
    expect(long.status).toBe(400);
    expect(errorsOf(long)).toEqual([{ code: 400, description: 'description: 4001 characters; at most 4000 are allowed' }]);
    const big = await post311(base, '/open311/v2/requests.json', form311({ description: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(errorsOf(big)).toEqual([{ code: 413, description: 'body too large: at most 64kb' }]);
    const json = await call(base, '/open311/v2/requests.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: API_KEY }) });
    expect(json.status).toBe(415);
    expect(errorsOf(json)[0]!.code).toBe(415);
    // every problem of a body at once
    const many = await post311(base, '/open311/v2/requests.json', form311({ lat: 'north', email: 'nobody', service_code: '005' }));
    expect(many.status).toBe(400);
    expect(errorsOf(many).map((e) => e.description.split(':')[0])).toEqual(['lat', 'email', 'attribute[time_of_day]']);
    expect((await get(base, '/open311/v2/requests.json')).json()).toEqual([]);
  });

  it('refuses every Open311 POST when no api keys are issued', async () => {
    const { base } = await start({ OPEN311_API_KEYS: '' });
    const reply = await post311(base, '/open311/v2/requests.json', form311({}));
    expect(reply.status).toBe(403);
    expect(errorsOf(reply)[0]!.description).toMatch(/issues no Open311 api keys/);
  });

  it('returns a description with <script> as it is in JSON and escaped in XML', async () => {
    const { base } = await start();
    const description = '<script>alert("x")</script> & more';
    expect((await post311(base, '/open311/v2/requests.json', form311({ description }))).status).toBe(201);
    const json = await get(base, '/open311/v2/requests/1001.json');
    expect(json.text).not.toContain('<script>');
    expect(json.json<{ description: string }[]>()[0]!.description).toBe(description);
    const xml = await get(base, '/open311/v2/requests/1001.xml');
    expect(xml.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(xml.text).not.toContain('<script>');
    expect(child(child(xml.xml(), 'request'), 'description').text).toBe(description);
    expect((await get(base, '/api/reports/1001/public')).json<PublicReport>().description).toBe(description);
  });

  it('limits submissions per client IP with 429, Retry-After and an Open311 error, the form counted too', async () => {
    const { base } = await start({ REPORTS_POST_RATE_PER_MIN: '2' });
    expect((await post311(base, '/open311/v2/requests.json', form311({}))).status).toBe(201);
    // a refused one counts: validation is work too
    expect((await post311(base, '/open311/v2/requests.json', form311({ lat: 'x' }))).status).toBe(400);
    const limited = await post311(base, '/open311/v2/requests.json', form311({}));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorsOf(limited)).toEqual([{ code: 429, description: expect.stringMatching(/too many reports/) }]);
    const xml = await post311(base, '/open311/v2/requests.xml', form311({}));
    expect(xml.status).toBe(429);
    expect(xmlErrors(xml)[0]!.code).toBe(429);
    const viaForm = await postForm(base, {});
    expect(viaForm.status).toBe(429);
    expect(viaForm.json<{ errors: unknown[] }>().errors).toEqual([{ code: 429, description: expect.stringMatching(/too many reports/) }]);
  });

  it('counts clients by X-Forwarded-For only behind a trusted proxy (TRUST_PROXY)', async () => {
    const from = (address: string) => (body: URLSearchParams) =>
      call(base, '/open311/v2/requests.json', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
        body: String(body),
      });
    // the test client is on loopback, as a proxy on the same host would be
    let { base } = await start({ REPORTS_POST_RATE_PER_MIN: '1', TRUST_PROXY: 'loopback' });
    expect((await from('203.0.113.7')(form311({}))).status).toBe(201);
    expect((await from('203.0.113.7')(form311({}))).status).toBe(429);
    expect((await from('198.51.100.9')(form311({}))).status).toBe(201);
    // not trusted: the header is anyone's to write, so it changes nothing
    ({ base } = await start({ REPORTS_POST_RATE_PER_MIN: '1' }));
    expect((await from('203.0.113.7')(form311({}))).status).toBe(201);
    expect((await from('198.51.100.9')(form311({}))).status).toBe(429);
  });
});

describe('the city form', () => {
  it('takes a report with photos; the stored photos have no EXIF; token, status and media URLs work', async () => {
    const { base } = await start();
    const sent = await postForm(
      base,
      { service_code: '001', 'attribute[size]': 'large', description: 'Huge pothole', email: 'ada@example.org', phone: '+1 312 555 0100', first_name: 'Ada', last_name: 'Lovelace' },
      [
        { data: jpegWithMetadata(), name: 'IMG_0001.JPG', type: 'image/jpeg' },
        // the declared type is wrong on purpose: the bytes decide
        { data: webpWithMetadata(), name: 'photo.png', type: 'image/png' },
      ],
      { origin: base },
    );
    expect(sent.status).toBe(201);
    const created = sent.json<ReportCreatedResponse>();
    expect(created).toEqual({ service_request_id: '1001', token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), status_url: '/report/status/1001' });

    const status = await get(base, '/api/reports/1001/public');
    expect(status.status).toBe(200);
    const view = status.json<PublicReport>();
    expect(view).toMatchObject({ service_request_id: '1001', service_name: 'Pothole', status: 'open', status_label: 'Open', open311_status: 'open', description: 'Huge pothole', lat: 41.882, long: -87.628, district: 'loop', updates: [] });
    expect(view.photos.map((p) => [p.content_type, p.width, p.height])).toEqual([
      ['image/jpeg', 16, 8],
      ['image/webp', 16, 8],
    ]);
    expectNoContact(status.text);

    const photo = await fetch(`${base}${view.photos[0]!.url}`);
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    expect(photo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(photo.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const bytes = Buffer.from(await photo.arrayBuffer());
    expect(bytes.includes(Buffer.from('Exif'))).toBe(false);
    expect(bytes.includes(GPS_LATITUDE_BYTES)).toBe(false);
    expect(bytes.equals(plainJpeg())).toBe(true);
    const webp = Buffer.from(await (await fetch(`${base}${view.photos[1]!.url}`)).arrayBuffer());
    expect(webp.equals(plainWebp())).toBe(true);
    expect((await get(base, '/media/reports/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);

    const token = await get(base, `/open311/v2/tokens/${created.token}.json`);
    expect(token.json()).toEqual([{ service_request_id: '1001', token: created.token }]);
    expect(shape(child((await get(base, `/open311/v2/tokens/${created.token}.xml`)).xml(), 'request'))).toEqual([{ service_request_id: '1001' }, { token: created.token }]);
    expect((await get(base, '/open311/v2/tokens/AAAAAAAAAAAAAAAAAAAAAA.json')).status).toBe(404);

    // Open311 clients see the first photo as media_url, and still no contact
    const open311 = await get(base, '/open311/v2/requests/1001.json');
    expect(open311.json<{ media_url: string }[]>()[0]!.media_url).toBe(`${base}${view.photos[0]!.url}`);
    expectNoContact(open311.text);

    // "already reported?": public fields only
    const nearby = await get(base, `/api/reports/nearby?service_code=001&lat=41.8820&long=-87.6278`);
    expect(nearby.status).toBe(200);
    expect(nearby.json<NearbyReportsResponse>().reports).toEqual([
      expect.objectContaining({ service_request_id: '1001', distance_m: 10, status_url: '/report/status/1001', lat: 41.882, long: -87.628, photo_urls: view.photos.map((p) => p.url) }),
    ]);
    expectNoContact(nearby.text);
    expect((await get(base, '/api/reports/nearby?service_code=002&lat=41.8820&long=-87.6278')).json<NearbyReportsResponse>().reports).toEqual([]);
    expect((await get(base, '/api/reports/nearby?service_code=001&lat=37.7&long=-122.4')).status).toBe(400);
    expect((await get(base, '/api/reports/nearby?service_code=999&lat=41.88&long=-87.62')).status).toBe(404);
    expect((await get(base, '/api/reports/4242/public')).status).toBe(404);
  });

  it('refuses a fake .jpg (400), too many or too large photos (413), bad fields (400) and other sites (403), storing nothing', async () => {
    const { base } = await start({ REPORTS_MAX_PHOTOS: '2', REPORTS_MAX_PHOTO_BYTES: '20000' });
    const fake = await postForm(base, {}, [{ data: Buffer.from('just some text, honestly a JPEG'), name: 'pothole.jpg', type: 'image/jpeg' }]);
    expect(fake.status).toBe(400);
    expect(fake.json()).toEqual({ errors: [{ code: 400, description: 'photo 1: not a JPEG, PNG or WebP image' }] });

    const jpeg = { data: plainJpeg(), name: 'a.jpg', type: 'image/jpeg' };
    const tooMany = await postForm(base, {}, [jpeg, jpeg, jpeg]);
    expect(tooMany.status).toBe(413);
    expect(tooMany.json()).toEqual({ errors: [{ code: 413, description: 'at most 2 photos per report' }] });

    const huge = Buffer.concat([plainJpeg().subarray(0, 2), Buffer.alloc(30_000, 0x41), plainJpeg().subarray(2)]);
    const tooLarge = await postForm(base, {}, [{ data: huge, name: 'big.jpg', type: 'image/jpeg' }]);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json<{ errors: { description: string }[] }>().errors[0]!.description).toBe('photo 1: larger than 20 kB');
    // a body larger than the limits allow is refused by its Content-Length before any of it is read
    const oversized = await postForm(base, {}, [{ data: Buffer.concat([plainJpeg(), Buffer.alloc(3_000_000)]), name: 'big.jpg', type: 'image/jpeg' }]);
    expect(oversized.status).toBe(413);
    expect(oversized.json<{ errors: { description: string }[] }>().errors[0]!.description).toMatch(/^the form is 2\.9 MB; at most 2 photos of 20 kB each/);

    const wrongField = await call(base, '/api/reports', { method: 'POST', body: (() => {
      const body = multipart({ service_code: '002', ...LOOP });
      body.append('attachment', new Blob([new Uint8Array(plainJpeg())], { type: 'image/jpeg' }), 'a.jpg');
      return body;
    })() });
    expect(wrongField.status).toBe(400);

    const invalid = await postForm(base, { lat: '91', email: 'not an address' });
    expect(invalid.status).toBe(400);
    expect(invalid.json<{ errors: { description: string }[] }>().errors.map((e) => e.description.split(':')[0])).toEqual(['lat', 'email']);

    const crossSite = await postForm(base, {}, [], { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const urlencoded = await call(base, '/api/reports', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'service_code=002' });
    expect(urlencoded.status).toBe(415);

    const admin = await login(base, ADMIN.username, ADMIN.password);
    expect((await admin.call<{ reports: unknown[] }>('GET', '/api/reports')).body.reports).toEqual([]);
    // the server is still fine after the aborted uploads
    expect((await postForm(base, {}, [jpeg])).status).toBe(201);
  });
});

describe('open data', () => {
  it('publishes GeoJSON and CSV with a licence, rounded coordinates and no contact details', async () => {
    const { base } = await start();
    expect((await postForm(base, { description: 'Lamp out, call me', email: 'ada@example.org', phone: '+13125550100', first_name: 'Ada', last_name: 'Lovelace', lat: '41.88194', long: '-87.62779' })).status).toBe(201);
    expect((await post311(base, '/open311/v2/requests.json', form311({ service_code: '006', lat: '41.9', long: '-87.65', email: 'ada@example.org', description: '=HYPERLINK("x")' }))).status).toBe(201);

    const geo = await get(base, '/open-data/reports.geojson');
    expect(geo.status).toBe(200);
    expect(geo.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
    expect(geo.headers.get('link')).toBe('<https://creativecommons.org/licenses/by/4.0/>; rel="license"');
    const collection = geo.json<{ type: string; license: string; license_url: string; attribution: string; features: { id: string; geometry: { coordinates: number[] }; properties: Record<string, unknown> }[] }>();
    expect(collection).toMatchObject({ type: 'FeatureCollection', license: 'CC-BY-4.0', license_url: 'https://creativecommons.org/licenses/by/4.0/', attribution: expect.any(String) });
    expect(collection.features.map((f) => [f.id, f.geometry.coordinates])).toEqual([
      ['1002', [-87.65, 41.9]],
      ['1001', [-87.628, 41.882]],
    ]);
    expect(collection.features[1]!.properties).toMatchObject({ service_request_id: '1001', status: 'open', description: 'Lamp out, call me', lat: 41.882, long: -87.628 });
    expectNoContact(geo.text);

    const csv = await get(base, '/open-data/reports.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.headers.get('link')).toBe('<https://creativecommons.org/licenses/by/4.0/>; rel="license"');
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe('service_request_id,service_code,service_name,status,status_label,open311_status,description,requested_datetime,updated_datetime,expected_datetime,closed_datetime,lat,long,district,duplicate_of');
    expect(lines[1]).toMatch(/^1002,006,Graffiti,open,Open,open,"'=HYPERLINK\(""x""\)",/);
    expect(lines[2]).toContain(',41.882,-87.628,loop,');
    expect(lines).toHaveLength(4);
    expectNoContact(csv.text);
  });
});

describe('the operators API', () => {
  it('reads for viewers without contact or internal notes, acts for operators, audits every action', async () => {
    const { base } = await start();
    const admin = await login(base, ADMIN.username, ADMIN.password);
    for (const [username, role] of [['olga', 'operator'], ['vic', 'viewer']]) {
      expect((await admin.call('POST', '/api/users', { username, password: ADMIN.password, role })).status).toBe(201);
    }
    const olga = await login(base, 'olga', ADMIN.password);
    const vic = await login(base, 'vic', ADMIN.password);
    expect((await postForm(base, { email: 'ada@example.org', phone: '+13125550100', last_name: 'Lovelace' }, [{ data: plainJpeg(), name: 'a.jpg', type: 'image/jpeg' }])).status).toBe(201);
    expect((await postForm(base, { description: 'same lamp' })).status).toBe(201);

    // no session: 401; a viewer may read but not act: 403
    expect((await get(base, '/api/reports')).status).toBe(401);
    expect((await get(base, '/api/reports/1001')).status).toBe(401);
    expect((await call(base, '/api/reports/1001/status', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":"fixed"}' })).status).toBe(401);
    expect((await vic.call('POST', '/api/reports/1001/status', { status: 'fixed' })).status).toBe(403);

    const seenByViewer = await vic.call<{ reports: OperatorReport[] }>('GET', '/api/reports');
    expect(seenByViewer.status).toBe(200);
    expect(seenByViewer.body.reports.map((r) => r.id)).toEqual(['1002', '1001']);
    expect(seenByViewer.body.reports.every((r) => r.reporter === undefined)).toBe(true);
    expectNoContact(JSON.stringify(seenByViewer.body));
    const seenByOperator = await olga.call<{ reports: OperatorReport[] }>('GET', '/api/reports?status=open&service_code=002');
    expect(seenByOperator.body.reports.find((r) => r.id === '1001')!.reporter).toEqual({ email: 'ada@example.org', phone: '+13125550100', lastName: 'Lovelace' });

    // every action
    const act = (path: string, body: unknown) => olga.call<OperatorReport & { error?: string }>('POST', `/api/reports/1001/${path}`, body);
    expect((await act('status', { status: 'investigating', note: 'Crew on the way' })).body).toMatchObject({ status: 'investigating', statusNotes: 'Crew on the way' });
    expect((await act('notes', { text: 'Caller is the shop owner', public: false })).status).toBe(200);
    expect((await act('notes', { text: 'Parts ordered', public: true })).status).toBe(200);
    expect((await act('expected', { expectedAt: '2030-01-15T12:00:00' })).body.expectedAt).toBe(Date.parse('2030-01-15T12:00:00-06:00'));
    const incident = await olga.call<{ id: string }>('POST', '/api/incidents', { title: 'Lamp out', category: 'lighting', severity: 'minor', description: 'from reports' });
    expect((await act('link', { incidentId: incident.body.id })).body.incidentIds).toEqual([incident.body.id]);
    expect((await olga.call('POST', '/api/reports/1002/duplicate', { of: '1001' })).body).toMatchObject({ status: 'duplicate', duplicateOf: '1001' });
    // bad input: 400; unknown: 404
    expect((await act('status', { status: 'done' })).status).toBe(400);
    expect((await act('expected', { expectedAt: 'soon' })).status).toBe(400);
    expect((await act('link', { incidentId: 'INC-424242' })).status).toBe(404);
    expect((await olga.call('POST', '/api/reports/4242/status', { status: 'fixed' })).status).toBe(404);

    const detail = await olga.call<OperatorReportDetail>('GET', '/api/reports/1001');
    expect(detail.body.notes!.map((n) => n.text)).toEqual(['Caller is the shop owner']);
    expect(detail.body.updates.map((u) => [u.status, u.description, u.author])).toEqual([
      ['investigating', 'Crew on the way', 'olga'],
      ['investigating', 'Parts ordered', 'olga'],
    ]);
    expect(detail.body.photos).toHaveLength(1);
    expect(detail.body.reporter?.email).toBe('ada@example.org');
    expect(detail.body.timeline.map((e) => e.action)).toEqual(['report.create', 'report.status', 'report.internal-note', 'report.note', 'report.expected', 'report.link']);
    const viewerDetail = await vic.call<OperatorReportDetail>('GET', '/api/reports/1001');
    expect(viewerDetail.body.notes).toBeUndefined();
    expect(viewerDetail.body.reporter).toBeUndefined();
    expect(JSON.stringify(viewerDetail.body)).not.toContain('shop owner');
    expectNoContact(JSON.stringify(viewerDetail.body));
    expect((await vic.call('GET', '/api/reports/4242')).status).toBe(404);

    const audit = await admin.call<AuditEntry[]>('GET', '/api/audit?entityType=report&limit=100');
    expect(audit.body.map((e) => [e.entityId, e.action, e.actor]).reverse()).toEqual([
      ['1001', 'report.create', 'public'],
      ['1002', 'report.create', 'public'],
      ['1001', 'report.status', 'olga'],
      ['1001', 'report.internal-note', 'olga'],
      ['1001', 'report.note', 'olga'],
      ['1001', 'report.expected', 'olga'],
      ['1001', 'report.link', 'olga'],
      ['1002', 'report.duplicate', 'olga'],
    ]);
    expectNoContact(JSON.stringify(audit.body));
    // the incident lists the report too
    const linked = await olga.call<{ linked: { type: string; id: string }[] }>('GET', `/api/incidents/${incident.body.id}`);
    expect(linked.body.linked).toEqual([expect.objectContaining({ type: 'report', id: '1001', linkedBy: 'olga' })]);
    // the public sees the public notes, not the internal one or the operator's name
    const publicView = await get(base, '/api/reports/1001/public');
    expect(publicView.json<PublicReport>().updates.map((u) => u.description)).toEqual(['Crew on the way', 'Parts ordered']);
    expect(publicView.text).not.toContain('shop owner');
    expect(publicView.text).not.toContain('olga');
  });

  it('a logged-in operator may still use the public form (it needs no CSRF token)', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await postForm(base, {}, [], { cookie, origin: base })).status).toBe(201);
  });
});

describe('reports configuration', () => {
  it('refuses to start with an invalid catalogue file, listing every problem, and with short api keys', () => {
    const file = join(tmpDir('catalogue-'), 'bad.json');
    writeFileSync(file, JSON.stringify({ services: [{ service_code: 'a b', service_name: '', description: 'x', category: 'nope', group: 'g' }] }));
    const env = new EnvReader({ OPEN311_CATALOGUE_FILE: file, OPEN311_API_KEYS: 'short', OPEN_DATA_LICENSE: 'mine', REPORTS_MAX_PHOTOS: '-1' });
    readDashboardConfig(env);
    expect(() => env.assertValid()).toThrow();
    const problems = env.problems.join('\n');
    expect(problems).toMatch(/OPEN311_CATALOGUE_FILE .*services\.0\.service_code/);
    expect(problems).toMatch(/OPEN311_CATALOGUE_FILE .*services\.0\.service_name/);
    expect(problems).toMatch(/OPEN311_CATALOGUE_FILE .*services\.0\.category/);
    expect(problems).toMatch(/OPEN311_API_KEYS: key 1/);
    expect(problems).not.toContain('short');
    expect(problems).toMatch(/OPEN_DATA_LICENSE/);
    expect(problems).toMatch(/REPORTS_MAX_PHOTOS/);
    const missing = new EnvReader({ OPEN311_CATALOGUE_FILE: join(tmpDir('catalogue-'), 'none.json') });
    readDashboardConfig(missing);
    expect(missing.problems.join('\n')).toMatch(/OPEN311_CATALOGUE_FILE: cannot read/);
  });

  it('takes TRUST_PROXY as a hop count or a list of addresses, CIDRs and named ranges, and refuses the rest', () => {
    const read = (value: string) => {
      const env = new EnvReader({ TRUST_PROXY: value });
      return { trustProxy: readDashboardConfig(env).trustProxy, problems: env.problems.join('\n') };
    };
    expect(read('2')).toEqual({ trustProxy: 2, problems: '' });
    expect(read('loopback, 10.0.0.0/8,fd00::/8, 192.0.2.1')).toEqual({ trustProxy: ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1'], problems: '' });
    expect(read('0').problems).toMatch(/TRUST_PROXY: expected 1\.\.10 proxy hops/);
    expect(read('true').problems).toMatch(/TRUST_PROXY: .*not "true"/);
    expect(read('10.0.0.0/33,nginx').problems).toMatch(/not "10\.0\.0\.0\/33", "nginx"/);
    expect(read('').trustProxy).toBeUndefined();
  });

  it('has the documented defaults', () => {
    const env = new EnvReader({});
    const { reports } = readDashboardConfig(env);
    expect(env.problems).toEqual([]);
    expect(reports).toMatchObject({
      apiKeys: [],
      postRatePerMin: 10,
      maxPhotos: 3,
      maxPhotoBytes: 5 * 1024 * 1024,
      openData: { coordDecimals: 3, license: 'CC-BY-4.0', licenseUrl: 'https://creativecommons.org/licenses/by/4.0/' },
    });
    expect(reports.catalogue.services).toHaveLength(8);
  });
});
