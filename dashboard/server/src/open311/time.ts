// W3C date-times (the ISO 8601 profile GeoReport v2 requires) in a city's own time zone, with Intl
// only: 2026-11-28T09:30:00-06:00. The offset comes from the zone's rules at that instant, so it is
// right on both sides of a daylight-saving change. Pure.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // throws RangeError for an unknown zone: a configuration error the caller should see
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(epochMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(epochMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    // some engines still say 24 for midnight despite h23
    hour: parts.hour! % 24,
    minute: parts.minute!,
    second: parts.second!,
  };
}

const wallAsUtc = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** The zone's offset from UTC at an instant, in minutes (Chicago in winter: -360). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return Math.round((wallAsUtc(wallTime(wholeSecond, timeZone)) - wholeSecond) / 60_000);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** An instant as the city's wall-clock time with its offset, to the second: 2026-11-28T09:30:00-06:00. */
export function formatW3cDateTime(epochMs: number, timeZone: string): string {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  const w = wallTime(wholeSecond, timeZone);
  const offset = Math.round((wallAsUtc(w) - wholeSecond) / 60_000);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${offsetText(offset)}`;
}

/**
 * The instant a wall-clock time in a zone names. Ambiguous times (the repeated hour when clocks go
 * back) resolve to the earlier instant; times that do not exist (the hour skipped when clocks go
 * forward) move forward by the gap, as Temporal's 'compatible' disambiguation does.
 */
export function zonedWallTimeToEpochMs(w: WallTime, timeZone: string): number {
  const asUtc = wallAsUtc(w);
  const day = 86_400_000;
  const before = zoneOffsetMinutes(asUtc - day, timeZone) * 60_000;
  const after = zoneOffsetMinutes(asUtc + day, timeZone) * 60_000;
  const valid = [asUtc - before, asUtc - after].filter((t) => wallAsUtc(wallTime(t, timeZone)) === asUtc);
  if (valid.length > 0) return Math.min(...valid);
  return asUtc - before;
}

// YYYY-MM-DD, then optionally Thh:mm[:ss[.fraction]], then optionally Z or ±hh:mm
const W3C_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * Parses a W3C / ISO 8601 date-time to epoch ms, or undefined when it is not one.
 * With Z or an offset it names that instant. Without one (what an HTML datetime-local input sends)
 * it is read as wall-clock time in `timeZone`; a bare date is midnight there.
 */
export function parseW3cDateTime(text: string, timeZone: string): number | undefined {
  const m = W3C_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = m;
  const w: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: h === undefined ? 0 : Number(h),
    minute: mi === undefined ? 0 : Number(mi),
    second: s === undefined ? 0 : Number(s),
  };
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.hour > 23 || w.minute > 59 || w.second > 59) return undefined;
  // Date.UTC rolls 31 February over to March: refuse days the month does not have
  const check = new Date(Date.UTC(w.year, w.month - 1, w.day));
  if (check.getUTCMonth() !== w.month - 1 || check.getUTCDate() !== w.day) return undefined;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  if (zulu !== undefined) return wallAsUtc(w) + ms;
  if (sign !== undefined) {
    const hours = Number(oh);
    const minutes = Number(om);
    if (hours > 23 || minutes > 59) return undefined;
    const offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
    return wallAsUtc(w) - offset * 60_000 + ms;
  }
  return zonedWallTimeToEpochMs(w, timeZone) + ms;
}

/** Whether Intl knows the zone (America/Chicago yes, Mars/Olympus no). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}
