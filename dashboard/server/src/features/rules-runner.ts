// The rules engine at work: its own persistent MQTT session (QoS 1, so readings that arrive while it
// restarts are queued by the broker, not missed), readings and camera events -> RuleEngine -> signals
// applied one at a time to the incidents (open, update, auto-resolve) and to the evidence store, with
// fusion linking each new incident to what else is going on nearby. Runs in one process only
// (RULES_ENGINE): several would raise every incident several times.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  decodeMessage,
  isActive,
  parseTopic,
  type CameraEvent,
  type Device,
  type DeviceRegistry,
  type Incident,
  type Logger,
  type Reading,
} from '@city/shared';
import { MqttFeed } from '../adapters/mqtt-feed.ts';
import { snapshotsDir, type DashboardConfig } from '../config.ts';
import type { LiveState } from '../core/live-state.ts';
import {
  fuseNearby,
  parseRules,
  RuleEngine,
  validateRules,
  type FusionCandidate,
  type RaiseSignal,
  type Rule,
  type RuleSignal,
} from '../core/rules/index.ts';
import { RuleSetConflictError, type IncidentService, type OpsStore, type RuleSet } from '../ops/index.ts';

export interface RulesRunnerContext {
  config: DashboardConfig;
  registry: DeviceRegistry;
  store: OpsStore;
  incidents: IncidentService;
  /** the live map's state: devices in alarm nearby are fusion candidates */
  liveState?: LiveState;
  logger: Logger;
}

/** The broker keeps this session's queue while the engine is away (aedes: until the broker restarts). */
export const RULES_CLIENT_ID = 'rules-engine';
/** Evidence retention runs at most this often, ms. */
const PURGE_EVERY_MS = 60_000;

/** The rule set in force: its stored version (0 = from the file, not saved yet) and the parsed rules. */
export interface ActiveRuleSet {
  version: number;
  rules: Rule[];
  updatedAt?: number;
  updatedBy?: string;
  source: 'store' | 'file';
}

export class RulesRunner {
  private engine: RuleEngine | undefined;
  private feed: MqttFeed | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private ruleSet: ActiveRuleSet = { version: 0, rules: [], source: 'file' };
  /** signals are applied strictly in order: an update must not overtake its raise */
  private queue: Promise<void> = Promise.resolve();
  private lastPurgeAt = 0;
  /** the registry as of the last tick: a map lookup per message, not a query (new ids fall back to one) */
  private devicesById = new Map<string, Device>();
  private unsubscribe: (() => void) | undefined;
  private readonly counts = { readings: 0, cameraEvents: 0, raised: 0, updated: 0, cleared: 0, evidence: 0, failed: 0 };

  constructor(private readonly ctx: RulesRunnerContext) {}

  get rules(): ActiveRuleSet {
    return this.ruleSet;
  }

  get subscribed(): boolean {
    return this.feed?.subscribed ?? false;
  }

  async start(): Promise<void> {
    const { config, logger } = this.ctx;
    this.ruleSet = await this.loadRuleSet();
    const engine = new RuleEngine({ rules: this.ruleSet.rules, timeZone: config.incidents.timeZone });
    this.engine = engine;
    const active = (await this.ctx.store.incidents.listActive()).filter((i) => i.dedupeKey && i.evidence.ruleId);
    engine.restoreActive(
      active.map((i) => ({
        dedupeKey: i.dedupeKey!,
        ruleId: i.evidence.ruleId!,
        ...(i.deviceId ? { deviceId: i.deviceId } : {}),
        severity: i.severity,
        count: i.evidence.count,
        firstSeenAt: i.evidence.firstSeenAt,
        lastSeenAt: i.evidence.lastSeenAt,
        ...(i.evidence.lastValue !== undefined ? { lastValue: i.evidence.lastValue } : {}),
        ...(i.evidence.peakValue !== undefined ? { peakValue: i.evidence.peakValue } : {}),
      })),
    );
    // an operator closing a rule's incident: the next match opens a new one
    this.unsubscribe = this.ctx.incidents.onChange((incident, change) => {
      if (change === 'closed' && incident.dedupeKey) engine.markClosed(incident.dedupeKey);
    });
    this.refreshDevices();
    const { mqtt } = config;
    this.feed = new MqttFeed({
      url: mqtt.url,
      username: mqtt.username,
      ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
      durableClientId: RULES_CLIENT_ID,
      logger: logger.child('mqtt'),
      onMessage: (topic, payload) => this.handleMessage(topic, payload),
    });
    this.feed.start();
    this.timer = setInterval(() => this.tick(), config.incidents.tickMs);
    this.timer.unref();
    logger.info('rules engine running', { rules: this.ruleSet.rules.length, version: this.ruleSet.version, source: this.ruleSet.source, restored: active.length });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    await this.feed?.stop();
    this.feed = undefined;
    await this.queue;
  }

  /** Waits until every signal so far is applied (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * Replaces the rule set (admin, through the API): validated, saved with optimistic concurrency, then
   * in force. Incidents of removed rules stay as they are: an operator closes them.
   */
  async replaceRules(inputs: unknown[], by: string, expectedVersion: number): Promise<{ ok: true; ruleSet: ActiveRuleSet } | { ok: false; problems: string[] }> {
    const result = validateRules(inputs);
    if (!result.ok) return result;
    const before = { version: expectedVersion, ids: this.ruleSet.rules.map((r) => r.id) };
    // the new set and its audit row commit together
    const saved = await this.ctx.store.transaction(async (tx) => {
      const set = await tx.rules.saveRuleSet(inputs, by, expectedVersion);
      await tx.audit.append({ actor: by, action: 'rule.update', entityType: 'rule', entityId: 'rule-set', before, after: { version: set.version, ids: result.rules.map((r) => r.id) } });
      return set;
    });
    this.ruleSet = { version: saved.version, rules: result.rules, updatedAt: saved.updatedAt, updatedBy: saved.updatedBy, source: 'store' };
    this.engine?.setRules(result.rules);
    this.ctx.logger.info('rule set replaced', { by, version: saved.version, rules: result.rules.length });
    return { ok: true, ruleSet: this.ruleSet };
  }

  metricsText(): string {
    const stats = this.engine?.stats();
    const lines = [
      '# HELP city_rules_inputs_total Readings and camera events the rules engine evaluated',
      '# TYPE city_rules_inputs_total counter',
      `city_rules_inputs_total{input="reading"} ${this.counts.readings}`,
      `city_rules_inputs_total{input="camera_event"} ${this.counts.cameraEvents}`,
      '# HELP city_rules_signals_total Signals applied to incidents and evidence',
      '# TYPE city_rules_signals_total counter',
      ...(['raised', 'updated', 'cleared', 'evidence', 'failed'] as const).map((k) => `city_rules_signals_total{signal="${k}"} ${this.counts[k]}`),
      '# HELP city_rules_active_incidents Incidents the rules engine holds open',
      '# TYPE city_rules_active_incidents gauge',
      `city_rules_active_incidents ${stats?.activeKeys ?? 0}`,
      '# HELP city_rules_pending_conditions Conditions waiting for their minimum duration',
      '# TYPE city_rules_pending_conditions gauge',
      `city_rules_pending_conditions ${stats?.pendingConditions ?? 0}`,
      '',
    ];
    return lines.join('\n');
  }

  /** One MQTT message: bad ones are ignored here (ingest dead-letters them). */
  handleMessage(topic: string, payload: Buffer): void {
    const engine = this.engine;
    if (!engine) return;
    const now = Date.now();
    if (parseTopic(topic).type === 'device-status') return;
    const decoded = decodeMessage(topic, payload, { receivedAt: now, lookupDevice: (id) => this.device(id) });
    if (!decoded.ok) return;
    for (const reading of decoded.readings) {
      // camera detections come as an event too: rules read the event, not its score reading
      if (decoded.cameraEvent && reading.kind === 'camera') continue;
      this.counts.readings++;
      this.enqueue(engine.onReading(reading, this.contextOf(reading), now));
    }
    if (decoded.cameraEvent) {
      this.counts.cameraEvents++;
      const camera = this.device(decoded.cameraEvent.cameraId);
      this.enqueue(engine.onCameraEvent(decoded.cameraEvent, { ...(camera?.position ? { position: camera.position } : {}), ...(camera?.district ? { district: camera.district } : {}) }, now));
    }
  }

  private refreshDevices(): void {
    const devices = this.ctx.registry.list();
    this.devicesById = new Map(devices.map((d) => [d.id, d]));
    for (const device of devices) this.track(device);
  }

  private device(id: string): Device | undefined {
    return this.devicesById.get(id) ?? this.ctx.registry.get(id);
  }

  private contextOf(reading: Reading) {
    const device = this.device(reading.deviceId);
    const position = reading.position ?? device?.position;
    const district = reading.district ?? device?.district;
    return {
      ...(position ? { position } : {}),
      ...(district ? { district } : {}),
      ...(reading.expectedIntervalMs !== undefined ? { expectedIntervalMs: reading.expectedIntervalMs } : {}),
    };
  }

  private track(device: Device): void {
    if (device.role !== 'device') return;
    this.engine?.trackDevice(device.id, device.kind, undefined, {
      ...(device.position ? { position: device.position } : {}),
      ...(device.district ? { district: device.district } : {}),
    });
  }

  private tick(): void {
    const engine = this.engine;
    if (!engine) return;
    const now = Date.now();
    try {
      this.refreshDevices();
    } catch (err) {
      this.ctx.logger.error('cannot read the device registry', { err });
    }
    this.enqueue(engine.tick(now));
    if (now - this.lastPurgeAt >= PURGE_EVERY_MS) {
      this.lastPurgeAt = now;
      this.queue = this.queue.then(() => this.purgeEvidence(now));
    }
  }

  private enqueue(signals: RuleSignal[]): void {
    for (const signal of signals) {
      this.queue = this.queue.then(() =>
        this.apply(signal).catch((err: unknown) => {
          this.counts.failed++;
          this.ctx.logger.error('applying a rule signal failed', { type: signal.type, err });
        }),
      );
    }
  }

  private async apply(signal: RuleSignal): Promise<void> {
    const { incidents } = this.ctx;
    switch (signal.type) {
      case 'raise': {
        const existing = await this.ctx.store.incidents.findActiveByDedupeKey(signal.dedupeKey);
        if (existing) {
          // the engine lost its memory (rules replaced) but the incident is still open: fold in
          await incidents.applyRuleUpdate(signal.dedupeKey, { evidence: { ...signal.evidence, count: existing.evidence.count + 1 }, explanation: signal.explanation });
          this.counts.updated++;
          return;
        }
        const opened = await incidents.open(
          {
            title: signal.title,
            category: signal.category,
            severity: signal.severity,
            source: signal.evidence.camera ? 'camera' : 'rule',
            ...(signal.deviceId ? { deviceId: signal.deviceId } : {}),
            ...(signal.deviceKind ? { deviceKind: signal.deviceKind } : {}),
            ...(signal.position ? { position: signal.position } : {}),
            ...(signal.district ? { district: signal.district } : {}),
            dedupeKey: signal.dedupeKey,
            explanation: signal.explanation,
            evidence: signal.evidence,
            autoResolve: signal.autoResolve,
          },
          'system',
        );
        this.counts.raised++;
        await this.fuse(opened, signal);
        return;
      }
      case 'update': {
        await incidents.applyRuleUpdate(signal.dedupeKey, {
          evidence: signal.evidence,
          explanation: signal.explanation,
          ...(signal.severity ? { severity: signal.severity } : {}),
        });
        this.counts.updated++;
        return;
      }
      case 'clear': {
        const resolved = await incidents.autoResolve(signal.dedupeKey, { lastSeenAt: signal.at });
        if (resolved) this.counts.cleared++;
        return;
      }
      case 'evidence': {
        const { record } = signal;
        const id = `EV-${createHash('sha256').update(`${record.ruleId}\n${record.cameraId}\n${record.eventId}`).digest('hex').slice(0, 16)}`;
        if (await this.ctx.store.evidence.get(id)) return; // a redelivered event
        const jpegPath = join(snapshotsDir(this.ctx.config), `${record.cameraId}.jpg`);
        const jpeg = record.hasSnapshot && existsSync(jpegPath) ? readFileSync(jpegPath) : undefined;
        const { hasSnapshot: _, ...rest } = record;
        await this.ctx.store.evidence.add({ ...rest, id }, jpeg);
        await this.ctx.store.audit.append({ actor: 'system', action: 'evidence.record', entityType: 'evidence', entityId: id, after: { offence: record.offence, cameraId: record.cameraId, ruleId: record.ruleId, expiresAt: record.expiresAt } });
        this.counts.evidence++;
        return;
      }
    }
  }

  /**
   * Cross-source fusion: the new incident links the active incidents and alarmed devices within the
   * configured radius and window, and each linked incident links back to it.
   */
  private async fuse(opened: Incident, signal: RaiseSignal): Promise<void> {
    if (!opened.position) return;
    const { fusionRadiusM, fusionWindowMs } = this.ctx.config.incidents;
    const candidates: FusionCandidate[] = [];
    const active = await this.ctx.store.incidents.listActive();
    for (const other of active) {
      if (other.id === opened.id || !other.position || !isActive(other.status)) continue;
      candidates.push({ type: 'incident', id: other.id, position: other.position, at: other.evidence.lastSeenAt, summary: `${other.id} ${other.severity}: ${other.title}` });
    }
    // a device whose own incident is a candidate already is told by that incident
    const withIncident = new Set(active.map((i) => i.deviceId));
    for (const device of this.ctx.liveState?.all(Date.now()) ?? []) {
      if (device.id === signal.deviceId || withIncident.has(device.id) || device.state !== 'alarm' || !device.position || device.lastReadingAt === undefined) continue;
      candidates.push({ type: 'device', id: device.id, position: device.position, at: device.lastReadingAt, summary: `${device.id} in alarm` });
    }
    const linked = fuseNearby({ id: opened.id, position: opened.position, at: opened.evidence.lastSeenAt }, candidates, { radiusM: fusionRadiusM, windowMs: fusionWindowMs });
    if (linked.length === 0) return;
    await this.ctx.incidents.link(opened.id, linked, 'system');
    for (const item of linked) {
      if (item.type !== 'incident') continue;
      await this.ctx.incidents.link(
        item.id,
        [{ type: 'incident', id: opened.id, summary: `${opened.id} ${opened.severity}: ${opened.title}`, ...(item.distanceM !== undefined ? { distanceM: item.distanceM } : {}) }],
        'system',
      );
    }
  }

  private async purgeEvidence(now: number): Promise<void> {
    try {
      const n = await this.ctx.store.evidence.purgeExpired(now);
      if (n > 0) {
        await this.ctx.store.audit.append({ actor: 'system', action: 'evidence.purge', entityType: 'evidence', entityId: '*', after: { deleted: n } });
        this.ctx.logger.info('evidence past its retention deleted', { records: n });
      }
    } catch (err) {
      this.ctx.logger.error('evidence retention failed', { err });
    }
  }

  /** The stored rule set, else the rules file (kept in memory until an admin saves a change). */
  private async loadRuleSet(): Promise<ActiveRuleSet> {
    const stored: RuleSet | undefined = await this.ctx.store.rules.getRuleSet();
    if (stored) {
      const result = validateRules(stored.rules);
      if (result.ok) return { version: stored.version, rules: result.rules, updatedAt: stored.updatedAt, updatedBy: stored.updatedBy, source: 'store' };
      // a stored set that no longer validates (a newer schema): say so loudly, fall back to the file
      this.ctx.logger.error('stored rule set is invalid; using the rules file', { version: stored.version, problems: result.problems.slice(0, 10) });
    }
    const file = this.ctx.config.incidents.rulesFile;
    const result = parseRules(readFileSync(file, 'utf8'), extname(file) === '.json' ? 'json' : 'yaml');
    if (!result.ok) throw new Error(`rules file ${file} is invalid:\n  - ${result.problems.join('\n  - ')}`);
    return { version: stored?.version ?? 0, rules: result.rules, source: 'file' };
  }
}

export { RuleSetConflictError };
export type { CameraEvent };
