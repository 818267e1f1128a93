// Does the broker offer shared subscriptions? Asked once at start-up when INGEST_SHARED_GROUP is set,
// because the failure is otherwise silent: aedes 1.x grants a `$share/...` filter (SUBACK QoS 1) and
// takes it as a literal topic, so a worker would run healthy and receive nothing, ever.
//
// MQTT 3.1.1 has no way to ask. MQTT 5 does: the CONNACK property Shared Subscription Available
// (0x2A, absent = available, MQTT 5 section 3.2.2.3.13). So a short-lived MQTT 5 probe connection (clean
// start, no session left behind) reads the answer, and ingest then subscribes over MQTT 3.1.1 as always:
// - refused as "unacceptable protocol version" (3.1.1 code 1, aedes 1.x) or "unsupported protocol
//   version" (MQTT 5 reason 0x84): the broker does not speak MQTT 5, so it cannot offer `$share`;
// - CONNACK with sharedSubscriptionAvailable false: it says so;
// - CONNACK otherwise, or a refusal of the probe's credentials (an MQTT 5 reason code, so the broker
//   speaks MQTT 5): offered, as far as the broker tells; the subscriber reports credential problems.
// Network errors and timeouts are retried with back-off (the broker may start after ingest).
import mqtt, { type IClientOptions } from 'mqtt';
import type { Logger } from '@city/shared';
import { backoffDelayMs } from '../core/backoff.ts';
import { sleep } from '../core/sleep.ts';

export interface SharedSubscriptionProbeOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  reconnectMaxMs: number;
  logger: Logger;
  /** aborts the retries (stop() during start-up) */
  signal: AbortSignal;
}

export class SharedSubscriptionsUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `INGEST_SHARED_GROUP is set but ${reason}: the workers would receive nothing. Unset it and run one ingest ` +
        `worker per broker, or use a broker that offers $share (docs/scale-out.md)`,
    );
    this.name = 'SharedSubscriptionsUnavailableError';
  }
}

type Answer = { kind: 'offered' } | { kind: 'unavailable'; reason: string } | { kind: 'retry'; error: string };

/** 3.1.1 CONNACK "unacceptable protocol version"; MQTT 5 reason "unsupported protocol version" */
const NO_MQTT5 = new Set([1, 0x84]);
const PROBE_TIMEOUT_MS = 10_000;

/** Resolves once the broker offers shared subscriptions; throws SharedSubscriptionsUnavailableError if not. */
export async function probeSharedSubscriptions(options: SharedSubscriptionProbeOptions): Promise<void> {
  const { logger, signal } = options;
  let lastError: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw signal.reason ?? new Error('stopped');
    const answer = await ask(options);
    if (answer.kind === 'offered') return;
    if (answer.kind === 'unavailable') throw new SharedSubscriptionsUnavailableError(answer.reason);
    if (answer.error !== lastError) {
      logger.warn('cannot ask the broker whether it offers shared subscriptions yet: retrying', { error: answer.error });
      lastError = answer.error;
    }
    await sleep(backoffDelayMs(attempt, 500, options.reconnectMaxMs), signal);
  }
}

function ask(options: SharedSubscriptionProbeOptions): Promise<Answer> {
  const opts: IClientOptions = {
    clientId: `${options.clientId}-probe`,
    username: options.username,
    password: options.password,
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
    connectTimeout: PROBE_TIMEOUT_MS,
  };
  const client = mqtt.connect(options.url, opts);
  return new Promise<Answer>((resolve) => {
    let settled = false;
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', aborted);
      client.end(true);
      resolve(answer);
    };
    const aborted = () => done({ kind: 'retry', error: 'stopped' });
    options.signal.addEventListener('abort', aborted, { once: true });
    client.once('connect', (connack) => {
      if (connack.properties?.sharedSubscriptionAvailable === false) {
        done({ kind: 'unavailable', reason: 'the broker says it does not offer shared subscriptions (MQTT 5 CONNACK)' });
      } else done({ kind: 'offered' });
    });
    client.once('error', (err) => {
      const code = (err as Error & { code?: number | string }).code;
      if (typeof code === 'number' && NO_MQTT5.has(code)) {
        done({ kind: 'unavailable', reason: 'the broker does not speak MQTT 5 (aedes 1.x, for one) and so offers no shared subscriptions' });
      } else if (typeof code === 'number' && code >= 0x80) {
        // an MQTT 5 refusal (bad credentials, not authorised, ...): the broker speaks MQTT 5
        done({ kind: 'offered' });
      } else done({ kind: 'retry', error: err.message });
    });
    client.once('close', () => done({ kind: 'retry', error: 'connection closed before CONNACK' }));
  });
}
