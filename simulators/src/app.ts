// The simulated fleet: plan -> provision -> connect -> publish at a rate, with faults on demand.
// Nothing runs at import time; createFleet returns an object with start(), stop() and stats().
import type { DeviceRegistry, Logger } from '@city/shared';
import { FleetGenerator, MESSAGE_TYPES, type MessageType, type SimMessage } from './core/fleet-generator.ts';
import { FAULT_KINDS, messagesDue, pickSilent, rateMultiplier, type FaultKind, type FaultOptions } from './core/faults.ts';
import { ownLogin, planFleet, type FleetPlan, type FleetPlanOptions, type PlannedDevice } from './core/fleet-plan.ts';
import { hashSeed, mulberry32, shuffled } from './core/prng.ts';
import { MqttPool, type ConnectionSpec } from './adapters/mqtt-pool.ts';
import { provisionFleet, SIM_ACCOUNTS, type ConnectionMode, type FleetCredentials } from './adapters/provision.ts';

export interface FleetContext {
  mqttUrl: string;
  /** where credentials are provisioned; absent = connect without credentials (anonymous broker) */
  registry?: DeviceRegistry;
  /** the fleet to simulate: plan options, or a plan made earlier */
  plan: FleetPlanOptions | FleetPlan;
  /** messages per second over the whole fleet; Infinity = as fast as the broker takes them; default: each device every 10 s */
  ratePerS?: number;
  /** stop after this many seconds; absent or 0 = until stop() */
  durationS?: number;
  /** stop after this many messages have been published */
  maxMessages?: number;
  /** default 1 */
  qos?: 0 | 1;
  faults?: FaultOptions;
  /** default 'per-device' */
  mode?: ConnectionMode;
  /** gateway mode: connections shared by the devices; default 4 */
  connections?: number;
  /** publishes awaiting their write (QoS 0) or PUBACK (QoS 1), all connections together; default 512 */
  maxInFlight?: number;
  logger: Logger;
  /** called every progressIntervalMs while running, and once at the end */
  onProgress?: (stats: FleetStats) => void;
  /** default 1000 */
  progressIntervalMs?: number;
}

export interface FleetStats {
  /** messages published (written at QoS 0, acknowledged at QoS 1) */
  sent: number;
  /** publishes that failed, or were dropped because their connection was down */
  failed: number;
  /** malformed messages sent on purpose (part of sent) */
  malformed: number;
  malformedByKind: Record<FaultKind, number>;
  byType: Record<MessageType, number>;
  /** average since start */
  ratePerS: number;
  /** over the last progress interval */
  recentRatePerS: number;
  elapsedS: number;
  inFlight: number;
  /** device turns skipped to catch up after the broker held publishing back more than a second */
  lagTurns: number;
  /** devices currently silent */
  silentDevices: number;
  running: boolean;
}

export interface Fleet {
  readonly plan: FleetPlan;
  /** provisions (with a registry), connects, and starts publishing; rejects with a clear error */
  start(): Promise<void>;
  /** stops publishing, waits for in-flight publishes (bounded), closes connections; idempotent */
  stop(): Promise<void>;
  stats(): FleetStats;
  /** resolves with the final stats once the fleet has stopped (duration, maxMessages or stop()) */
  readonly done: Promise<FleetStats>;
}

/** Default cadence: each device publishes every 10 s. */
export const DEFAULT_DEVICE_INTERVAL_S = 10;
const DRAIN_TIMEOUT_MS = 5000;

const zeroes = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createFleet(ctx: FleetContext): Fleet {
  const plan = 'devices' in ctx.plan ? ctx.plan : planFleet(ctx.plan);
  const mode = ctx.mode ?? 'per-device';
  const qos = ctx.qos ?? 1;
  const maxInFlight = ctx.maxInFlight ?? 512;
  const ratePerS = ctx.ratePerS ?? plan.devices.length / DEFAULT_DEVICE_INTERVAL_S;
  const faults = ctx.faults ?? {};
  const log = ctx.logger;
  if (!(ratePerS > 0)) throw new RangeError(`ratePerS: expected a number above 0 (got ${ratePerS})`);
  if (plan.devices.length === 0) throw new RangeError('the fleet plan has no devices');

  const generator = new FleetGenerator(plan, { badRatio: faults.badRatio ?? 0, ...(faults.badKinds ? { badKinds: faults.badKinds } : {}) });
  const silent = pickSilent(plan, faults.silentDevices ?? 0);
  const silentAfterS = faults.silentAfterS ?? 30;
  // interleave kinds and transports so every stretch of the rate looks like the whole city
  const order = shuffled(mulberry32(hashSeed(plan.seed, 'order')), plan.devices);

  const counters = { sent: 0, failed: 0, malformed: 0, lagTurns: 0, malformedByKind: zeroes(FAULT_KINDS), byType: zeroes(MESSAGE_TYPES) };
  let inFlight = 0;
  let slotWaiter: (() => void) | undefined;
  let drainWaiter: (() => void) | undefined;
  let startedAt = 0;
  let stoppedAt = 0;
  let running = false;
  let stopping = false;
  let recent = { atMs: 0, sent: 0, ratePerS: 0 };
  let pool: MqttPool | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let loop: Promise<void> | undefined;
  let resolveDone!: (stats: FleetStats) => void;
  const done = new Promise<FleetStats>((resolve) => (resolveDone = resolve));
  let stopPromise: Promise<void> | undefined;

  const elapsedS = () => ((stoppedAt || Date.now()) - startedAt) / 1000;

  function stats(): FleetStats {
    const elapsed = startedAt ? elapsedS() : 0;
    return {
      sent: counters.sent,
      failed: counters.failed,
      malformed: counters.malformed,
      malformedByKind: { ...counters.malformedByKind },
      byType: { ...counters.byType },
      ratePerS: elapsed > 0 ? counters.sent / elapsed : 0,
      recentRatePerS: recent.ratePerS,
      elapsedS: elapsed,
      inFlight,
      lagTurns: counters.lagTurns,
      silentDevices: elapsed >= silentAfterS ? silent.size : 0,
      running,
    };
  }

  function connectionKey(device: PlannedDevice, index: number, connections: number): string {
    if (mode === 'gateway') return `gw-${index % connections}`;
    if (ownLogin(device)) return device.id;
    return device.transport === 'frigate' ? SIM_ACCOUNTS.frigateNvr.id : SIM_ACCOUNTS.ttsBridge.id;
  }

  function connectionSpecs(credentials: FleetCredentials | undefined): { specs: ConnectionSpec[]; keyOf: Map<string, string> } {
    const connections = Math.max(1, Math.min(ctx.connections ?? 4, order.length));
    const keyOf = new Map<string, string>();
    order.forEach((d, i) => keyOf.set(d.id, connectionKey(d, i, connections)));
    const specs: ConnectionSpec[] = [];
    const runId = Date.now().toString(36); // two simulators on one broker must not take over each other's gateway sessions
    if (mode === 'gateway') {
      for (let i = 0; i < connections; i++) {
        const spec: ConnectionSpec = { key: `gw-${i}`, clientId: `${SIM_ACCOUNTS.gateway.id}-${runId}-${i}` };
        if (credentials?.gateway) spec.credentials = credentials.gateway;
        specs.push(spec);
      }
      return { specs, keyOf };
    }
    for (const key of new Set(keyOf.values())) {
      const spec: ConnectionSpec = { key, clientId: key };
      const creds = credentials?.devices.get(key) ?? (key === SIM_ACCOUNTS.frigateNvr.id ? credentials?.frigateNvr : key === SIM_ACCOUNTS.ttsBridge.id ? credentials?.ttsBridge : undefined);
      if (creds) spec.credentials = creds;
      specs.push(spec);
    }
    return { specs, keyOf };
  }

  async function acquireSlot(): Promise<void> {
    while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (slotWaiter = resolve));
    inFlight += 1;
  }

  function releaseSlot(): void {
    inFlight -= 1;
    const wake = slotWaiter;
    slotWaiter = undefined;
    wake?.();
    if (inFlight === 0) {
      const drained = drainWaiter;
      drainWaiter = undefined;
      drained?.();
    }
  }

  function publish(p: MqttPool, key: string, msg: SimMessage): void {
    if (!p.connected(key)) {
      counters.failed += 1; // a device whose connection is down loses the reading, like a real one without a buffer
      releaseSlot();
      return;
    }
    p.publish(key, msg.topic, msg.payload).then(
      () => {
        counters.sent += 1;
        counters.byType[msg.type] += 1;
        if (msg.fault) {
          counters.malformed += 1;
          counters.malformedByKind[msg.fault] += 1;
        }
        releaseSlot();
      },
      (err: unknown) => {
        if (counters.failed === 0) log.warn('publish failed', { topic: msg.topic, err });
        counters.failed += 1;
        releaseSlot();
      },
    );
  }

  async function run(p: MqttPool, keyOf: Map<string, string>): Promise<void> {
    let issued = 0; // turns and messages the rate has accounted for
    let published = 0;
    let cursor = 0;
    let sinceYield = 0;
    const limit = ctx.maxMessages ?? Infinity;
    const durationS = ctx.durationS && ctx.durationS > 0 ? ctx.durationS : Infinity;
    const unlimited = !Number.isFinite(ratePerS);
    while (running && published < limit) {
      const elapsed = (Date.now() - startedAt) / 1000;
      if (elapsed >= durationS) break;
      if (!unlimited) {
        const due = messagesDue(ratePerS, faults.burst, elapsed);
        const perSecond = ratePerS * rateMultiplier(faults.burst, elapsed);
        if (due - issued > Math.max(1, perSecond)) {
          // More than a second behind (the broker held us back): skip ahead rather than burst.
          const skip = Math.floor(due - issued - Math.max(1, perSecond));
          counters.lagTurns += skip;
          issued += skip;
        }
        if (issued + 1 > due) {
          const waitMs = ((issued + 1 - due) / perSecond) * 1000;
          await sleep(Math.min(100, Math.max(1, waitMs)));
          continue;
        }
      }
      const device = order[cursor % order.length]!;
      cursor += 1;
      if (silent.has(device.id) && elapsed >= silentAfterS) {
        issued += 1; // a silent device keeps its slot in the cadence: the others do not speed up
        continue;
      }
      const key = keyOf.get(device.id)!;
      for (const msg of generator.turn(device, Date.now())) {
        if (published >= limit || !running) break;
        await acquireSlot();
        issued += 1;
        published += 1;
        publish(p, key, msg);
      }
      // let socket callbacks and timers run even when the broker keeps up with everything
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await tick();
      }
    }
    if (inFlight > 0) {
      await Promise.race([new Promise<void>((resolve) => (drainWaiter = resolve)), sleep(DRAIN_TIMEOUT_MS)]);
      if (inFlight > 0) log.warn('stopped with publishes still unacknowledged', { inFlight });
    }
  }

  function report(): void {
    const now = Date.now();
    const dt = (now - recent.atMs) / 1000;
    if (dt > 0) recent = { atMs: now, sent: counters.sent, ratePerS: (counters.sent - recent.sent) / dt };
    try {
      ctx.onProgress?.(stats());
    } catch (err) {
      log.warn('onProgress threw', { err });
    }
  }

  async function finish(): Promise<void> {
    running = false;
    await loop?.catch((err: unknown) => log.error('publishing loop failed', { err }));
    if (startedAt && !stoppedAt) stoppedAt = Date.now(); // the rate covers publishing, not closing
    if (progressTimer) clearInterval(progressTimer);
    progressTimer = undefined;
    await pool?.stop();
    pool = undefined;
    report();
    const final = stats();
    log.info('fleet stopped', { sent: final.sent, failed: final.failed, malformed: final.malformed, ratePerS: Math.round(final.ratePerS) });
    resolveDone(final);
  }

  return {
    plan,
    done,
    stats,
    async start() {
      if (running || stopping || startedAt) throw new Error('fleet already started');
      let credentials: FleetCredentials | undefined;
      if (ctx.registry) {
        const t0 = Date.now();
        credentials = await provisionFleet(ctx.registry, plan, { mode });
        log.info('fleet provisioned', { devices: plan.devices.length, mode, logins: credentials.devices.size + (credentials.gateway ? 1 : 0), ms: Date.now() - t0 });
      }
      const { specs, keyOf } = connectionSpecs(credentials);
      const p = new MqttPool({ url: ctx.mqttUrl, connections: specs, qos, logger: log.child('mqtt') });
      await p.start();
      if (stopping) {
        await p.stop();
        return;
      }
      pool = p;
      log.info('fleet connected', { connections: specs.length, devices: plan.devices.length, ratePerS, qos, mode });
      startedAt = Date.now();
      recent = { atMs: startedAt, sent: 0, ratePerS: 0 };
      running = true;
      progressTimer = setInterval(report, ctx.progressIntervalMs ?? 1000);
      progressTimer.unref();
      loop = run(p, keyOf);
      // ends by itself on duration or maxMessages
      void loop.finally(() => {
        if (!stopping) void (stopPromise ??= ((stopping = true), finish()));
      });
    },
    stop() {
      if (!stopPromise) {
        stopping = true;
        stopPromise = startedAt ? finish() : Promise.resolve().then(() => resolveDone(stats()));
      }
      return stopPromise;
    },
  };
}
