// Ingest workers in parallel behind Debian's Mosquitto 2 (docs/mosquitto.conf): three workers in one
// shared subscription group ($share/ingest/...) split N readings; exactly N reach InfluxDB, none is
// received twice, and a worker killed with SIGKILL mid-run and restarted (same client id, same journal)
// loses nothing that was accepted.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry, INGEST_SUBSCRIPTIONS } from '@city/shared';
import { startInfluxd, type Influxd } from '../../test/support/influxd.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { sleep, waitFor } from '../../test/support/wait.ts';
import { spawnIngest, type ChildIngest } from './support/child.ts';
import { startMosquitto, type Mosquitto } from './support/mosquitto.ts';
import {
  connect,
  deviceClient,
  ingestConfig,
  openStore,
  publishAll,
  reading,
  startIngest,
  startTestBroker,
  storeEnv,
} from './support/stack.ts';

const WORKERS = 3;
const DEVICES = 6;

let influxd: Influxd | undefined;
beforeAll(async () => {
  influxd = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await influxd?.destroy();
});

interface Group {
  mosquitto: Mosquitto;
  /** per worker: the env it was started with */
  envs: Record<string, string>[];
  workers: ChildIngest[];
}

/** Mosquitto plus `WORKERS` ingest workers in the group `ingest`, sharing DATA_DIR and one InfluxDB database. */
async function startGroup(extra: Record<string, string> = {}, mosquittoLines: string[] = []): Promise<Group> {
  const mosquitto = await startMosquitto(mosquittoLines);
  const dataDir = tmpDir('ingest-shared-');
  // the registry the workers share (device kinds and districts), created once before they open it
  DeviceRegistry.open(dataDir).close();
  const store = storeEnv('influxdb', influxd);
  const envs = Array.from({ length: WORKERS }, (_, i) => ({
    DATA_DIR: dataDir,
    MQTT_URL: mosquitto.url,
    INGEST_CLIENT_ID: `ingest-${i + 1}`,
    INGEST_JOURNAL_DIR: join(dataDir, `ingest-journal-${i + 1}`),
    INGEST_SHARED_GROUP: 'ingest',
    ...store,
    ...extra,
  }));
  const workers: ChildIngest[] = [];
  for (const env of envs) {
    const worker = spawnIngest(env);
    await waitFor(`${env.INGEST_CLIENT_ID} running`, () => worker.logs.some((l) => l.msg === 'ingest running'), 30_000);
    workers.push(worker);
  }
  return { mosquitto, envs, workers };
}

function devicePayloads(n: number, base: number): { topic: string; payloads: string[] }[] {
  return Array.from({ length: DEVICES }, (_, d) => ({
    topic: `city/sensors/aq-share-${d}/up`,
    payloads: Array.from({ length: n / DEVICES }, (_, i) => reading(i, base)),
  }));
}

async function sum(workers: ChildIngest[], metric: string): Promise<number[]> {
  return Promise.all(workers.map((w) => w.metric(metric)));
}

describe('ingest workers in a shared subscription group on Mosquitto 2', () => {
  it('split N readings between 3 workers: exactly N stored, none received twice', async () => {
    const { mosquitto, envs, workers } = await startGroup();
    const N = 6000;
    const base = Date.now() - 120_000;
    const publisher = await connect(mosquitto.url, { clientId: 'publisher' });
    const startedAt = Date.now();
    await Promise.all(devicePayloads(N, base).map(({ topic, payloads }) => publishAll(publisher, topic, payloads, 50)));

    const store = await openStore(ingestConfig(envs[0]!).store);
    const counts = () => Promise.all(Array.from({ length: DEVICES }, (_, d) => store.countPoints('air_quality', `aq-share-${d}`)));
    await waitFor('every reading in the store', async () => (await counts()).reduce((a, b) => a + b) >= N, 60_000, 200);
    const elapsedMs = Date.now() - startedAt;
    await waitFor('journals drained', async () => (await sum(workers, 'city_ingest_journal_pending_records')).every((n) => n === 0), 10_000);

    expect(await counts()).toEqual(Array(DEVICES).fill(N / DEVICES));
    const received = await sum(workers, 'city_ingest_messages_received_total');
    const accepted = await sum(workers, 'city_ingest_readings_accepted_total');
    console.log(`shared subscription: ${N} readings in ${elapsedMs} ms, split ${received.join(' / ')}`);
    // each message went to exactly one worker, and every worker took a share
    expect(received.reduce((a, b) => a + b)).toBe(N);
    expect(accepted.reduce((a, b) => a + b)).toBe(N);
    for (const share of received) expect(share).toBeGreaterThan(0);
    expect(await sum(workers, 'city_ingest_duplicates_total')).toEqual([0, 0, 0]);

    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
  }, 120_000);

  it('loses nothing when one worker is killed with SIGKILL mid-run and restarted with its client id and journal', async () => {
    // the workers hold readings in their journals for a second, so the kill always catches some there
    const { mosquitto, envs, workers } = await startGroup({ INGEST_BATCH_MAX_WAIT_MS: '1000', INGEST_BATCH_MAX_READINGS: '50000' });
    const N = 9000;
    const base = Date.now() - 120_000;
    const publisher = await connect(mosquitto.url, { clientId: 'publisher' });
    // paced (~20 rounds of 450, every 200 ms), so the kill below lands while readings still arrive
    let published = 0;
    const publishing = (async () => {
      const devices = devicePayloads(N, base);
      const perRound = 75;
      for (let from = 0; from < N / DEVICES; from += perRound) {
        await Promise.all(devices.map(({ topic, payloads }) => publishAll(publisher, topic, payloads.slice(from, from + perRound), 25)));
        published += perRound * DEVICES;
        await sleep(200);
      }
    })();

    const victim = workers[1]!;
    await waitFor('the victim accepted some', async () => (await victim.metric('city_ingest_readings_accepted_total')) >= N / 12, 30_000, 20);
    const acceptedBeforeKill = await victim.metric('city_ingest_readings_accepted_total');
    victim.child.kill('SIGKILL');
    await victim.exited;
    const publishedBeforeKill = published;
    expect(publishedBeforeKill).toBeLessThan(N);
    // its share of what follows is queued by Mosquitto for its persistent session
    await publishing;

    const restarted = spawnIngest(envs[1]!);
    workers[1] = restarted;
    await waitFor('victim running again', () => restarted.logs.some((l) => l.msg === 'ingest running'), 30_000);
    const replay = restarted.logs.find((l) => l.msg === 'journal has records not yet in the store: replaying them');
    expect(replay?.records).toBeGreaterThan(0);

    const store = await openStore(ingestConfig(envs[0]!).store);
    const counts = () => Promise.all(Array.from({ length: DEVICES }, (_, d) => store.countPoints('air_quality', `aq-share-${d}`)));
    await waitFor('every reading in the store', async () => (await counts()).reduce((a, b) => a + b) >= N, 60_000, 200);
    await waitFor('journals drained', async () => (await sum(workers, 'city_ingest_journal_pending_records')).every((n) => n === 0), 10_000);
    // exactly N: replayed and redelivered readings overwrite their own points, they do not add any
    expect(await counts()).toEqual(Array(DEVICES).fill(N / DEVICES));
    const received = await sum(workers, 'city_ingest_messages_received_total');
    console.log(
      `shared subscription with a kill: ${N} readings; the victim accepted ${acceptedBeforeKill} before SIGKILL ` +
        `(${publishedBeforeKill} published by then), ` +
        `replayed ${String(replay?.records)} journal records; received after: ${received.join(' / ')}`,
    );
    // the restarted worker got what Mosquitto queued for its session while it was gone
    expect(received[1]).toBeGreaterThan(0);

    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
  }, 150_000);
});

describe('our aedes broker for devices, bridged into Mosquitto for a group of workers', () => {
  it('splits N readings published to aedes between 3 workers: exactly N stored', async () => {
    const tb = await startTestBroker();
    const secret = await tb.add('bridge', { role: 'service', kind: 'generic' });
    // the bridge section of docs/scale-out.md
    const bridge = [
      'connection aedes',
      `address 127.0.0.1:${tb.port}`,
      'bridge_protocol_version mqttv311',
      'notifications false',
      'cleansession false',
      'remote_clientid mosquitto-bridge',
      'remote_username bridge',
      `remote_password ${secret}`,
      ...INGEST_SUBSCRIPTIONS.map((filter) => `topic ${filter} in 1`),
    ];
    let bridgeSubscribed = false;
    tb.broker.aedes.on('subscribe', (_subscriptions, client) => {
      if (client?.id === 'mosquitto-bridge') bridgeSubscribed = true;
    });
    const { envs, workers } = await startGroup({}, bridge);
    await waitFor('the bridge subscribed on aedes', () => bridgeSubscribed, 20_000, 50);
    const N = 6000;
    const base = Date.now() - 120_000;
    const devices = devicePayloads(N, base);
    const clients = await Promise.all(devices.map(({ topic }) => deviceClient(tb, topic.split('/')[2]!)));
    const startedAt = Date.now();
    await Promise.all(devices.map(({ topic, payloads }, d) => publishAll(clients[d]!, topic, payloads, 50)));
    const store = await openStore(ingestConfig(envs[0]!).store);
    const counts = () => Promise.all(Array.from({ length: DEVICES }, (_, d) => store.countPoints('air_quality', `aq-share-${d}`)));
    await waitFor('every reading in the store', async () => (await counts()).reduce((a, b) => a + b) >= N, 60_000, 200);
    const elapsedMs = Date.now() - startedAt;
    await waitFor('journals drained', async () => (await sum(workers, 'city_ingest_journal_pending_records')).every((n) => n === 0), 10_000);
    expect(await counts()).toEqual(Array(DEVICES).fill(N / DEVICES));
    const received = await sum(workers, 'city_ingest_messages_received_total');
    console.log(`aedes -> Mosquitto bridge -> shared subscription: ${N} readings in ${elapsedMs} ms, split ${received.join(' / ')}`);
    expect(received.reduce((a, b) => a + b)).toBe(N);
    for (const share of received) expect(share).toBeGreaterThan(0);
  }, 120_000);
});

describe('a shared subscription group on our aedes broker', () => {
  it('is granted but receives nothing: aedes 1.x takes $share/... as a literal topic', async () => {
    const tb = await startTestBroker();
    const secret = await tb.add('ingest', { role: 'service', kind: 'generic' });
    const worker = await connect(tb.url, { clientId: 'ingest-1', username: 'ingest', password: secret });
    let received = 0;
    worker.on('message', () => (received += 1));
    const granted = await worker.subscribeAsync('$share/ingest/city/sensors/+/up', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    const device = await deviceClient(tb, 'aq-literal');
    await publishAll(device, 'city/sensors/aq-literal/up', Array.from({ length: 100 }, (_, i) => reading(i, Date.now() - 60_000)));
    await sleep(500);
    expect(received).toBe(0);
  });

  it('so ingest refuses to start with INGEST_SHARED_GROUP, saying why', async () => {
    const tb = await startTestBroker();
    await expect(startIngest(tb, { INGEST_SHARED_GROUP: 'ingest', INGEST_CLIENT_ID: 'ingest-1' })).rejects.toThrow(
      /INGEST_SHARED_GROUP is set but the broker does not speak MQTT 5 .*offers no shared subscriptions/,
    );
  });
});
