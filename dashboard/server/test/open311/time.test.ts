import { describe, expect, it } from 'vitest';
import { formatW3cDateTime, isTimeZone, parseW3cDateTime, zoneOffsetMinutes } from '../../src/open311/time.ts';

const CHICAGO = 'America/Chicago';
const utc = (iso: string) => Date.parse(iso);

describe('formatW3cDateTime', () => {
  it.each([
    ['a winter morning in Chicago', '2026-11-28T15:30:00Z', CHICAGO, '2026-11-28T09:30:00-06:00'],
    ['a summer noon in Chicago', '2026-07-04T17:00:00Z', CHICAGO, '2026-07-04T12:00:00-05:00'],
    ['fall back: the first 01:30 (CDT)', '2026-11-01T06:30:00Z', CHICAGO, '2026-11-01T01:30:00-05:00'],
    ['fall back: the second 01:30 (CST)', '2026-11-01T07:30:00Z', CHICAGO, '2026-11-01T01:30:00-06:00'],
    ['spring forward: the last second of CST', '2026-03-08T07:59:59Z', CHICAGO, '2026-03-08T01:59:59-06:00'],
    ['spring forward: the first second of CDT', '2026-03-08T08:00:00Z', CHICAGO, '2026-03-08T03:00:00-05:00'],
    ['midnight is 00, not 24', '2026-11-28T06:00:00Z', CHICAGO, '2026-11-28T00:00:00-06:00'],
    ['a date change across the offset', '2027-01-01T03:00:00Z', CHICAGO, '2026-12-31T21:00:00-06:00'],
    ['milliseconds are dropped, not rounded', '2026-11-28T15:30:00.999Z', CHICAGO, '2026-11-28T09:30:00-06:00'],
    ['UTC', '2026-11-28T15:30:00Z', 'UTC', '2026-11-28T15:30:00+00:00'],
    ['a half-hour offset east', '2026-11-28T15:30:00Z', 'Asia/Kolkata', '2026-11-28T21:00:00+05:30'],
    ['a half-hour offset west', '2026-11-28T15:30:00Z', 'America/St_Johns', '2026-11-28T12:00:00-03:30'],
    ["the spec's -08:00 example", '2010-04-14T14:37:38Z', 'Etc/GMT+8', '2010-04-14T06:37:38-08:00'],
  ])('%s', (_case, instant, zone, expected) => {
    expect(formatW3cDateTime(utc(instant), zone)).toBe(expected);
  });

  it('names the same instant on every hour of the fall-back day', () => {
    const start = utc('2026-11-01T00:00:00Z');
    const instants = Array.from({ length: 30 }, (_, i) => start + i * 3_600_000);
    expect(instants.map((t) => Date.parse(formatW3cDateTime(t, CHICAGO)))).toEqual(instants);
  });
});

describe('zoneOffsetMinutes', () => {
  it.each([
    ['Chicago in winter', '2026-01-15T12:00:00Z', -360],
    ['Chicago in summer', '2026-07-15T12:00:00Z', -300],
  ])('%s', (_case, instant, expected) => {
    expect(zoneOffsetMinutes(utc(instant), CHICAGO)).toBe(expected);
  });
});

describe('parseW3cDateTime', () => {
  it.each([
    ['with an offset', '2026-11-28T09:30:00-06:00', '2026-11-28T15:30:00Z'],
    ['with Z', '2010-01-01T00:00:00Z', '2010-01-01T00:00:00Z'],
    ['with a fraction', '2026-11-28T15:30:00.5Z', '2026-11-28T15:30:00.500Z'],
    ['without seconds', '2026-11-28T09:30-06:00', '2026-11-28T15:30:00Z'],
    ['an offset without a colon', '2026-11-28T21:00:00+0530', '2026-11-28T15:30:00Z'],
    ['local winter time, read in the city zone', '2026-11-28T09:30', '2026-11-28T15:30:00Z'],
    ['local summer time, read in the city zone', '2026-07-04T12:00:00', '2026-07-04T17:00:00Z'],
    ['a repeated local time: the earlier instant', '2026-11-01T01:30', '2026-11-01T06:30:00Z'],
    ['a skipped local time: moved forward by the gap', '2026-03-08T02:30', '2026-03-08T08:30:00Z'],
    ['a bare date: local midnight', '2026-11-28', '2026-11-28T06:00:00Z'],
    ['surrounding spaces', '  2026-11-28T15:30:00Z ', '2026-11-28T15:30:00Z'],
  ])('%s', (_case, text, expected) => {
    expect(parseW3cDateTime(text, CHICAGO)).toBe(utc(expected));
  });

  it.each([
    ['a day the month does not have', '2026-02-30T00:00:00Z'],
    ['month 13', '2026-13-01'],
    ['hour 24', '2026-11-28T24:00:00Z'],
    ['minute 60', '2026-11-28T10:60:00Z'],
    ['an offset beyond 23 hours', '2026-11-28T09:30:00+25:00'],
    ['words', 'yesterday'],
    ['nothing', ''],
    ['single-digit fields', '2026-1-1'],
    ['a time without a date', '09:30:00'],
  ])('refuses %s', (_case, text) => {
    expect(parseW3cDateTime(text, CHICAGO)).toBeUndefined();
  });
});

describe('isTimeZone', () => {
  it.each([
    [CHICAGO, true],
    ['Europe/Lisbon', true],
    ['Mars/Olympus_Mons', false],
  ])('%s -> %s', (zone, expected) => {
    expect(isTimeZone(zone)).toBe(expected);
  });
});
