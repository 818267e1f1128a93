// Camera and infringement rules over detections. A detection (event id) matches when its label,
// score, zones, camera and local time pass the rule; with minDurationMs it must keep matching from its
// first matching sighting until one at least that much later (a sighting that fails resets it).
// Camera rules: one incident per rule and camera; each new matching event is counted once, more
// sightings of a counted event refresh the evidence. Infringement rules: one evidence record per rule
// and event, never an incident.
//
// Memory: per rule and camera at most MAX_OPEN_EVENTS_PER_CAMERA events in progress (the oldest is
// forgotten first; an 'end' forgets its event); at most MAX_EVIDENCE_KEYS (rule, camera, event) keys
// remember which evidence went out.
import type { CameraEvent } from '@city/shared/reading';
import { raiseBase, titleOf, type ActiveEntry, type CameraEvidence, type Env } from './book.ts';
import { clockText, describeRule, detectionText, durationText, inActiveHours, numberText, orList, sinceText } from './describe.ts';
import type { CameraRule, InfringementRule } from './schema.ts';
import type { Scoped } from './scope.ts';
import { dedupeKeyOf, type RuleSignal, type Subject } from './signals.ts';

export const MAX_OPEN_EVENTS_PER_CAMERA = 64;
export const MAX_EVIDENCE_KEYS = 10_000;
const DAY_MS = 86_400_000;

interface EventRun {
  /** the first sighting of an unbroken matching run; undefined after one that failed */
  startAt?: number;
  /** folded into the incident, or evidence sent */
  counted: boolean;
}

function matches(rule: CameraRule | InfringementRule, event: CameraEvent, timeZone: string): boolean {
  return (
    rule.labels.includes(event.label) &&
    event.score >= rule.minScore &&
    (rule.zones === undefined || rule.zones.some((z) => event.zones.includes(z))) &&
    inActiveHours(rule.activeHours, event.observedAt, timeZone)
  );
}

function cameraEvidence(event: CameraEvent): CameraEvidence {
  const camera: CameraEvidence = { cameraId: event.cameraId, eventId: event.eventId, label: event.label, score: event.score, zones: [...event.zones] };
  if (event.plate !== undefined) camera.plate = event.plate;
  return camera;
}

const zonesText = (zones: readonly string[]) => (zones.length > 0 ? ` in zone ${orList(zones)}` : '');

export class CameraWatch {
  /** "ruleId:cameraId" -> event id -> run */
  private readonly runs = new Map<string, Map<string, EventRun>>();
  /** "ruleId:cameraId:eventId" of evidence sent, oldest first */
  private readonly evidenceSent = new Set<string>();

  get openEvents(): number {
    let n = 0;
    for (const events of this.runs.values()) n += events.size;
    return n;
  }

  get evidenceKeys(): number {
    return this.evidenceSent.size;
  }

  /** Forgets events in progress; with `evidence`, also which evidence went out (a rule removed). */
  drop(pick: (key: string) => boolean, evidence: boolean): void {
    for (const key of this.runs.keys()) if (pick(key)) this.runs.delete(key);
    if (!evidence) return;
    // "ruleId:cameraId:eventId": neither id contains ':', the event id may
    for (const key of this.evidenceSent) if (pick(key.slice(0, key.indexOf(':', key.indexOf(':') + 1)))) this.evidenceSent.delete(key);
  }

  onEvent(event: CameraEvent, rules: readonly Scoped<CameraRule | InfringementRule>[], camera: Subject, env: Env): RuleSignal[] {
    const signals: RuleSignal[] = [];
    for (const s of rules) {
      const rule = s.rule;
      if (s.deviceIds && !s.deviceIds.has(event.cameraId)) continue;
      const key = dedupeKeyOf(rule.id, event.cameraId);
      let events = this.runs.get(key);
      let run = events?.get(event.eventId);
      if (!matches(rule, event, env.timeZone)) {
        if (run) run.startAt = undefined;
      } else {
        if (!run) {
          run = { counted: false };
          if (!events) {
            events = new Map();
            this.runs.set(key, events);
          }
          events.set(event.eventId, run);
          if (events.size > MAX_OPEN_EVENTS_PER_CAMERA) events.delete(events.keys().next().value!);
        }
        run.startAt ??= event.observedAt;
        const heldMs = event.observedAt - run.startAt;
        if (heldMs >= rule.minDurationMs) {
          if (rule.type === 'camera') signals.push(...this.cameraMatch(rule, run, event, heldMs, camera, env));
          else signals.push(...this.infringement(rule, run, event, camera));
        }
      }
      if (event.phase === 'end' && run && events) {
        events.delete(event.eventId);
        if (events.size === 0) this.runs.delete(key);
        if (rule.type === 'camera' && rule.autoResolve && run.counted && ![...(events.values())].some((r) => r.counted)) {
          const text = `${rule.id}: the last matching detection at ${event.cameraId} (${event.label}, event ${event.eventId}) ended at ${clockText(event.observedAt, env.timeZone)}.`;
          signals.push(...env.book.end(key, env.nowMs, true, text));
        }
      }
    }
    return signals;
  }

  private cameraMatch(rule: CameraRule, run: EventRun, event: CameraEvent, heldMs: number, camera: Subject, env: Env): RuleSignal[] {
    const { book, nowMs } = env;
    const key = dedupeKeyOf(rule.id, event.cameraId);
    const fold = { at: event.observedAt, value: event.score, countDelta: run.counted ? 0 : 1, camera: cameraEvidence(event) };
    const firstSighting = !run.counted;
    run.counted = true;
    if (book.get(key)) {
      const update = book.fold(key, fold, nowMs);
      return update ? [update] : [];
    }
    // more sightings of an event whose incident an operator closed do not open another
    if (!firstSighting) return [];
    const held = rule.minDurationMs > 0 ? `, there for ${durationText(heldMs)}` : '';
    return [
      book.raise(
        {
          ...raiseBase(rule, camera, nowMs),
          title: titleOf(rule, `${orList(rule.labels)} detected`, event.cameraId),
          explanation:
            `${rule.id}: ${event.cameraId} saw ${event.label} (score ${numberText(event.score)})${zonesText(event.zones)} ` +
            `at ${clockText(event.observedAt, env.timeZone)}${held}; rule: ${detectionText(rule)}.`,
          evidence: {
            ruleId: rule.id,
            ruleText: describeRule(rule),
            firstValue: event.score,
            lastValue: event.score,
            peakValue: event.score,
            count: 1,
            firstSeenAt: event.observedAt - heldMs,
            lastSeenAt: event.observedAt,
            camera: fold.camera,
          },
        },
        'max',
      ),
    ];
  }

  private infringement(rule: InfringementRule, run: EventRun, event: CameraEvent, camera: Subject): RuleSignal[] {
    const sentKey = `${rule.id}:${event.cameraId}:${event.eventId}`;
    if (run.counted || this.evidenceSent.has(sentKey)) return [];
    run.counted = true;
    this.evidenceSent.add(sentKey);
    if (this.evidenceSent.size > MAX_EVIDENCE_KEYS) this.evidenceSent.delete(this.evidenceSent.values().next().value!);
    return [
      {
        type: 'evidence',
        record: {
          cameraId: event.cameraId,
          eventId: event.eventId,
          ruleId: rule.id,
          offence: rule.offence,
          label: event.label,
          ...(event.plate !== undefined ? { plate: event.plate } : {}),
          zones: [...event.zones],
          ...(camera.position ? { position: camera.position } : {}),
          ...(camera.district !== undefined ? { district: camera.district } : {}),
          observedAt: event.observedAt,
          hasSnapshot: event.hasSnapshot,
          expiresAt: event.observedAt + rule.retentionDays * DAY_MS,
        },
      },
    ];
  }
}

export function explainCameraUpdate(rule: CameraRule, entry: ActiveEntry, timeZone: string): string {
  const last = entry.camera
    ? `; last ${entry.camera.label} (score ${numberText(entry.camera.score)})${zonesText(entry.camera.zones)} at ${clockText(entry.lastSeenAt, timeZone)}, event ${entry.camera.eventId}`
    : '';
  return `${rule.id}: ${entry.count} matching detections at ${entry.deviceId}${sinceText(entry.firstSeenAt, timeZone)}${last}.`;
}
