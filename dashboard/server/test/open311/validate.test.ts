import { describe, expect, it } from 'vitest';
import { DEMO_CITY } from '@city/shared/city';
import { defaultCatalogue, parseCatalogue, type Catalogue } from '../../src/open311/catalogue.ts';
import type { ServiceArea } from '../../src/open311/model.ts';
import { validateServiceRequest, type Open311Body, type ValidateOptions } from '../../src/open311/validate.ts';
import { POST_REQUEST_BODY } from './spec-examples.ts';

const options = (over: Partial<ValidateOptions> = {}): ValidateOptions => ({
  catalogue: defaultCatalogue(),
  area: DEMO_CITY,
  timeZone: 'America/Chicago',
  ...over,
});

/** A valid pothole report in the Loop; `over` replaces keys, undefined removes one. */
function body(over: Record<string, unknown> = {}): Open311Body {
  const merged: Record<string, unknown> = {
    api_key: 'key-1',
    service_code: '001',
    lat: '41.8819',
    long: '-87.6278',
    'attribute[size]': 'medium',
    ...over,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

/** What express.urlencoded({ extended: false }) makes of a form body: repeated keys become arrays. */
function formBody(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const prev = out[key];
    out[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

const errorsOf = (b: Open311Body, o: ValidateOptions = options()) => {
  const result = validateServiceRequest(b, o);
  return result.ok ? [] : result.errors;
};
const valueOf = (b: Open311Body, o: ValidateOptions = options()) => {
  const result = validateServiceRequest(b, o);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.value;
};

describe('validateServiceRequest accepts', () => {
  it('a pothole in the Loop, with its district and incident category', () => {
    expect(valueOf(body({ description: 'Deep hole by the bus stop', email: 'ada@example.org', first_name: 'Ada' }))).toEqual({
      apiKey: 'key-1',
      serviceCode: '001',
      category: 'traffic',
      position: { lat: 41.8819, lon: -87.6278 },
      district: 'loop',
      description: 'Deep hole by the bus stop',
      attributes: { size: 'medium' },
      reporter: { email: 'ada@example.org', firstName: 'Ada' },
    });
  });

  it("the spec's example POST body, for a city around San Francisco", () => {
    const sf: ServiceArea = { name: 'San Francisco', bounds: [-122.52, 37.7, -122.35, 37.83], districts: [] };
    const catalogue = parseCatalogue({
      services: [
        {
          service_code: '001',
          service_name: 'Cans left out 24x7',
          description: 'Cans left out.',
          group: 'sanitation',
          category: 'waste',
          attributes: [
            { code: 'WHISPAWN', datatype: 'string', order: 1, description: 'Whispawn' },
            { code: 'WHISDORN', datatype: 'string', order: 2, description: 'Whisdorn' },
          ],
        },
      ],
    });
    if (!catalogue.ok) throw new Error(catalogue.errors.join('; '));
    expect(valueOf(formBody(POST_REQUEST_BODY), options({ catalogue: catalogue.catalogue, area: sf, jurisdictionId: 'city.gov' }))).toEqual({
      apiKey: 'xyz',
      jurisdictionId: 'city.gov',
      serviceCode: '001',
      category: 'waste',
      position: { lat: 37.76524078, lon: -122.4212043 },
      addressString: '1234 5th street',
      description: 'A large sinkhole is destroying the street',
      mediaUrl: 'http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg',
      attributes: { WHISPAWN: '123456', WHISDORN: 'COISL001' },
      reporter: { email: 'smit333@sfgov.edu', phone: '111111111', firstName: 'john', lastName: 'smith', deviceId: 'tt222111', accountId: '123456' },
    });
  });

  it('an address_string instead of lat/long', () => {
    expect(valueOf(body({ lat: undefined, long: undefined, address_string: '121 N LaSalle St' })).addressString).toBe('121 N LaSalle St');
  });

  it('an address_id instead of lat/long', () => {
    expect(valueOf(body({ lat: undefined, long: undefined, address_id: 'ADDR-545483' })).addressId).toBe('ADDR-545483');
  });

  it('a position on the edge of the service area', () => {
    const [west, south] = DEMO_CITY.bounds;
    expect(valueOf(body({ lat: String(south), long: String(west) })).position).toEqual({ lat: south, lon: west });
  });

  it('a position inside the city but in no district, without a district', () => {
    expect(valueOf(body({ lat: '41.79', long: '-87.79' })).district).toBeUndefined();
  });

  it('a description of exactly 4000 characters', () => {
    expect(valueOf(body({ description: 'a'.repeat(4000) })).description).toHaveLength(4000);
  });

  it('4000 emoji (characters, not UTF-16 units, are counted)', () => {
    expect([...valueOf(body({ description: '🕳'.repeat(4000) })).description!]).toHaveLength(4000);
  });

  it('a description with <script>, quotes and line breaks, as sent (escaping is the formatter’s job)', () => {
    expect(valueOf(body({ description: '<script>alert("x")</script>\r\nline two' })).description).toBe('<script>alert("x")</script>\nline two');
  });

  it.each([
    ['+1 (312) 555-0100', '+13125550100'],
    ['312.555.0100', '3125550100'],
    ['0044 20 7946 0958', '00442079460958'],
    ['111111111', '111111111'],
  ])('the phone number %s as %s', (phone, expected) => {
    expect(valueOf(body({ phone })).reporter.phone).toBe(expected);
  });

  it('empty optional fields as absent', () => {
    expect(valueOf(body({ email: '', phone: ' ', description: '', media_url: '' })).reporter).toEqual({});
  });

  it('attributes as a nested object (qs) the same as flat keys', () => {
    const flat = valueOf(body({ service_code: '003', 'attribute[size]': undefined, 'attribute[materials][]': ['bags', 'tires'], 'attribute[quantity]': 'car_load' }));
    const nested = valueOf(body({ service_code: '003', 'attribute[size]': undefined, attribute: { materials: ['bags', 'tires'], quantity: 'car_load' } }));
    expect(nested).toEqual(flat);
  });

  it('a multivaluelist as an index-keyed object (qs with many items)', () => {
    const value = valueOf(body({ service_code: '003', 'attribute[size]': undefined, attribute: { materials: { 1: 'tires', 0: 'bags' } } }));
    expect(value.attributes).toEqual({ materials: ['bags', 'tires'] });
  });

  it('a multivaluelist sent as repeated attribute[code] keys, once per key', () => {
    const value = valueOf(body({ service_code: '003', 'attribute[size]': undefined, 'attribute[materials]': ['bags', 'bags', 'furniture'] }));
    expect(value.attributes).toEqual({ materials: ['bags', 'furniture'] });
  });

  it('a number attribute as a number', () => {
    expect(valueOf(body({ service_code: '004', 'attribute[size]': undefined, 'attribute[depth_cm]': '12.5' })).attributes).toEqual({ depth_cm: 12.5 });
  });

  it('a datetime without offset, read in the city zone', () => {
    const value = valueOf(body({ service_code: '005', 'attribute[size]': undefined, 'attribute[time_of_day]': 'night', 'attribute[started_at]': '2026-11-28T22:30' }));
    expect(value.attributes).toEqual({ time_of_day: 'night', started_at: '2026-11-28T22:30:00-06:00' });
  });

  it('a datetime in UTC, written in the city zone', () => {
    const value = valueOf(body({ service_code: '005', 'attribute[size]': undefined, 'attribute[time_of_day]': 'night', 'attribute[started_at]': '2026-07-05T03:30:00Z' }));
    expect(value.attributes.started_at).toBe('2026-07-04T22:30:00-05:00');
  });

  it('an informational attribute echoed back by a client, ignored', () => {
    expect(valueOf(body({ service_code: '004', 'attribute[size]': undefined, 'attribute[safety_notice]': 'ok' })).attributes).toEqual({});
  });

  it('a jurisdiction_id that matches', () => {
    expect(valueOf(body({ jurisdiction_id: 'chicago.example' }), options({ jurisdictionId: 'chicago.example' })).jurisdictionId).toBe('chicago.example');
  });
});

describe('validateServiceRequest refuses', () => {
  const long = (n: number) => 'x'.repeat(n);
  it.each<[string, Record<string, unknown>, number, string]>([
    ['no api_key', { api_key: undefined }, 403, 'api_key: required'],
    ['a blank api_key', { api_key: '   ' }, 403, 'api_key: required'],
    ['no service_code', { service_code: undefined }, 400, 'service_code: required'],
    ['an unknown service_code', { service_code: '999' }, 404, 'service_code "999" not found'],
    ['no location at all', { lat: undefined, long: undefined }, 400, 'location: required'],
    ['lat without long', { long: undefined }, 400, 'lat and long: send both (got only lat)'],
    ['long without lat', { lat: undefined }, 400, 'lat and long: send both (got only long)'],
    ['a lat that is not a number', { lat: 'north' }, 400, 'lat: expected a number of degrees'],
    ['a lat in hex', { lat: '0x29' }, 400, 'lat: expected a number of degrees'],
    ['a lat beyond 90', { lat: '91' }, 400, 'lat: 91 is out of range -90..90'],
    ['a long beyond 180', { long: '-181' }, 400, 'long: -181 is out of range -180..180'],
    ['a location outside the city', { lat: '40.7128', long: '-74.0060' }, 400, 'lat/long 40.7128, -74.006 is outside the service area (Chicago (central))'],
    ['a location just outside the bounds', { lat: '41.9678' }, 400, 'is outside the service area'],
    ['a description of 4001 characters', { description: 'a'.repeat(4001) }, 400, 'description: 4001 characters; at most 4000 are allowed'],
    ['a description with a control character', { description: 'bell \u0007' }, 400, 'description: control characters are not allowed'],
    ['a description sent twice', { description: ['one', 'two'] }, 400, 'description: sent 2 times'],
    ['a description that is an object', { description: { a: '1' } }, 400, 'description: expected text (got an object)'],
    ['an email without @', { email: 'ada.example.org' }, 400, 'email: expected an address like name@example.org'],
    ['an email without a domain dot', { email: 'ada@localhost' }, 400, 'email: expected an address'],
    ['an email with a space', { email: 'ada lovelace@example.org' }, 400, 'email: expected an address'],
    ['an email of 255 characters', { email: `${long(243)}@example.org` }, 400, 'email: 255 characters; at most 254'],
    ['a phone with letters', { phone: '312-CALL-NOW' }, 400, 'phone: expected a phone number of 7 to 15 digits'],
    ['a phone with too few digits', { phone: '555-010' }, 400, 'phone: expected a phone number'],
    ['a phone with too many digits', { phone: '+1234567890123456' }, 400, 'phone: expected a phone number'],
    ['a phone with a + in the middle', { phone: '312+5550100' }, 400, 'phone: expected a phone number'],
    ['a first_name of 101 characters', { first_name: long(101) }, 400, 'first_name: 101 characters; at most 100'],
    ['a last_name of 101 characters', { last_name: long(101) }, 400, 'last_name: 101 characters; at most 100'],
    ['a first_name with a line break', { first_name: 'Ada\nLovelace' }, 400, 'first_name: expected one line of text'],
    ['a device_id of 101 characters', { device_id: long(101) }, 400, 'device_id: 101 characters; at most 100'],
    ['an account_id of 101 characters', { account_id: long(101) }, 400, 'account_id: 101 characters; at most 100'],
    ['an address_string of 501 characters', { address_string: long(501) }, 400, 'address_string: 501 characters; at most 500'],
    ['an ftp media_url', { media_url: 'ftp://example.org/a.jpg' }, 400, 'media_url: expected an http or https URL'],
    ['a javascript media_url', { media_url: 'javascript:alert(1)' }, 400, 'media_url: expected an http or https URL'],
    ['a media_url that is not a URL', { media_url: 'photo.jpg' }, 400, 'media_url: expected an http or https URL'],
    ['a missing required attribute', { 'attribute[size]': undefined }, 400, 'attribute[size]: required (How big is the pothole?)'],
    ['a singlevaluelist key that is not listed', { 'attribute[size]': 'huge' }, 400, 'attribute[size]: "huge" is not one of small, medium, large'],
    ['two values for a singlevaluelist', { 'attribute[size]': ['small', 'large'] }, 400, 'attribute[size]: expected one value (got 2)'],
    ['an attribute the service does not have', { 'attribute[colour]': 'red' }, 400, 'attribute[colour]: service 001 has no such attribute'],
    ['attribute that is not a map', { attribute: 'size=small' }, 400, 'attribute: expected attribute[code]=value pairs'],
    ['an attribute value that is an object', { 'attribute[size]': { deep: 'x' } }, 400, 'attribute[size]: expected text or a list of text'],
    ['a string attribute with a line break', { service_code: '002', 'attribute[size]': undefined, 'attribute[pole_number]': '04\n512' }, 400, 'attribute[pole_number]: expected one line of text'],
    ['a number attribute that is not a number', { service_code: '004', 'attribute[size]': undefined, 'attribute[depth_cm]': 'knee deep' }, 400, 'attribute[depth_cm]: expected a number (got "knee deep")'],
    ['a number attribute out of range', { service_code: '004', 'attribute[size]': undefined, 'attribute[depth_cm]': '600' }, 400, 'attribute[depth_cm]: 600 is out of range 0..500'],
    ['a datetime attribute that is not a date', { service_code: '005', 'attribute[size]': undefined, 'attribute[time_of_day]': 'night', 'attribute[started_at]': 'last night' }, 400, 'attribute[started_at]: expected a date and time'],
    ['a multivaluelist key that is not listed', { service_code: '003', 'attribute[size]': undefined, 'attribute[materials][]': ['bags', 'gold'] }, 400, 'attribute[materials]: "gold" is not one of bags, furniture'],
    ['a text attribute of 4001 characters', { service_code: '003', 'attribute[size]': undefined, 'attribute[access_notes]': 'a'.repeat(4001) }, 400, 'attribute[access_notes]: 4001 characters; at most 4000'],
  ])('%s', (_case, over, code, description) => {
    expect(errorsOf(body(over))).toEqual([{ code, description: expect.stringContaining(description) }]);
  });

  it('a jurisdiction_id this endpoint does not serve (404)', () => {
    expect(errorsOf(body({ jurisdiction_id: 'sfgov.org' }), options({ jurisdictionId: 'chicago.example' }))).toEqual([
      { code: 404, description: expect.stringContaining('jurisdiction_id "sfgov.org" not found') },
    ]);
  });

  it('lists every problem at once, in the order of the fields', () => {
    const errors = errorsOf(body({ api_key: undefined, lat: '40.7', long: '-74.0', description: 'a'.repeat(4001), email: 'nope', 'attribute[size]': 'huge' }));
    expect(errors.map((e) => [e.code, e.description.split(/[: ]/)[0]])).toEqual([
      [403, 'api_key'],
      [400, 'lat/long'],
      [400, 'description'],
      [400, 'email'],
      [400, 'attribute[size]'],
    ]);
  });
});
