// Group commit on the MQTT side (ingest/src/adapters/mqtt-subscriber.ts), against the real aedes broker
// over TCP: the sink stages messages, flush() writes them, and the PUBACKs of a group leave only after
// its flush returned. A flush that throws must acknowledge nothing of its group: the broker redelivers
// those messages to the persistent session.
import { describe, expect, it } from 'vitest';
import { createLogger } from '@city/shared';
import { track } from '../../test/support/teardown.ts';
import { waitFor } from '../../test/support/wait.ts';
import { MqttSubscriber } from '../src/adapters/mqtt-subscriber.ts';
import { deviceClient, publishAll, startTestBroker } from './support/stack.ts';

const TOPIC = 'city/sensors/aq-group/up';

/** A sink that stages message numbers and "writes" them on flush; `failFlush` decides per call. */
function recordingSink(failFlush: (call: number) => boolean) {
  const staged: number[] = [];
  const flushed: number[] = [];
  const groups: number[][] = [];
  /** what was staged when a flush failed */
  const failed: number[][] = [];
  let calls = 0;
  return {
    flushed,
    groups,
    failed,
    flushCalls: () => calls,
    onMessage: (m: { payload: Buffer }) => void staged.push(Number(m.payload.toString())),
    flush: () => {
      calls += 1;
      if (failFlush(calls)) {
        failed.push([...staged]);
        // as the journal does: what was staged stays staged for the next flush
        throw new Error(`disk on fire (flush ${calls})`);
      }
      groups.push(staged.splice(0));
      flushed.push(...groups.at(-1)!);
    },
  };
}

async function subscriberOn(url: string, username: string, password: string, sink: ReturnType<typeof recordingSink>) {
  const subscriber = track(
    new MqttSubscriber({
      url, username, password, clientId: 'ingest-group-test', keepaliveS: 30, reconnectMaxMs: 200,
      subscriptions: ['city/sensors/+/up'], logger: createLogger('test-subscriber'),
      onMessage: sink.onMessage, flush: sink.flush,
    }),
    (s) => s.stop(),
  );
  await subscriber.start();
  return subscriber;
}

describe('acknowledgement groups', () => {
  it('writes a whole read at once: far fewer flushes than messages, every message flushed once', async () => {
    const tb = await startTestBroker();
    const secret = await tb.add('ingest', { role: 'service' });
    const sink = recordingSink(() => false);
    await subscriberOn(tb.url, 'ingest', secret, sink);
    const device = await deviceClient(tb, 'aq-group');
    const N = 5000;
    await publishAll(device, TOPIC, Array.from({ length: N }, (_, i) => String(i)), 500);
    await waitFor('every message flushed', () => sink.flushed.length >= N, 20_000);
    expect([...sink.flushed].sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
    // measured here: about 10-60 messages per flush at this rate; one per message without groups
    expect(sink.flushCalls()).toBeLessThan(N / 3);
  });

  it('acknowledges nothing of a group whose flush fails: the broker redelivers it, nothing is lost', async () => {
    const tb = await startTestBroker();
    const secret = await tb.add('ingest', { role: 'service' });
    // the third flush fails: its messages must come back from the broker
    const sink = recordingSink((call) => call === 3);
    const subscriber = await subscriberOn(tb.url, 'ingest', secret, sink);
    const device = await deviceClient(tb, 'aq-group');
    const N = 3000;
    await publishAll(device, TOPIC, Array.from({ length: N }, (_, i) => String(i)), 500);
    await waitFor('every message flushed', () => new Set(sink.flushed).size >= N, 20_000);
    expect(sink.flushCalls()).toBeGreaterThanOrEqual(3);
    expect(new Set(sink.flushed)).toEqual(new Set(Array.from({ length: N }, (_, i) => i)));
    // the failed group stayed staged and was written by the next flush, but it was not acknowledged:
    // the broker sent every one of its messages again after the reconnect
    const failedGroup = sink.failed[0]!;
    expect(failedGroup.length).toBeGreaterThan(0);
    const counts = new Map<number, number>();
    for (const n of sink.flushed) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect(failedGroup.filter((n) => counts.get(n)! < 2)).toEqual([]);
    await waitFor('reconnected', () => subscriber.connected, 10_000);
  });
});
