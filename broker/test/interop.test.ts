// Interoperability with Mosquitto's command-line clients (libmosquitto), over real TCP.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { track } from '../../test/support/teardown.ts';
import { collect, connect, run, startBroker, waitFor } from './support.ts';

describe('interop with mosquitto_pub / mosquitto_sub', () => {
  it('delivers a mosquitto_pub publish to an MQTT.js subscriber', async () => {
    const { url, add, broker } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const ingest = await connect(url, { username: 'ingest', password: 'service-secret-1' });
    const received = collect(ingest);
    await ingest.subscribeAsync('city/sensors/+/up', { qos: 1 });

    const port = String(broker.ports.tcp);
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', 'air-001', '-P', secret, '-q', '1',
      '-t', 'city/sensors/air-001/up', '-m', '{"metrics":{"noise_dba":61}}']);
    expect(pub).toMatchObject({ code: 0, stderr: '' });
    await waitFor('the reading', () => received.find((m) => m.topic === 'city/sensors/air-001/up'));
    expect(received[0]!.payload).toBe('{"metrics":{"noise_dba":61}}');
  });

  it('delivers an MQTT.js publish to mosquitto_sub', async () => {
    const { url, add, broker } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const sub = track(
      // stdbuf: mosquitto_sub's stdout is block-buffered into a pipe; its SUBACK line is the signal to publish
      spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(broker.ports.tcp), '-u', 'ingest', '-P', 'service-secret-1',
        '-t', 'city/sensors/#', '-q', '1', '-v', '-d', '-C', '1', '-W', '20'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      (c) => c.exitCode === null && c.kill('SIGKILL'),
    );
    let stdout = '';
    sub.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => sub.once('close', resolve));
    await waitFor('mosquitto_sub to be subscribed', () => stdout.includes('SUBACK'), 10_000);

    const device = await connect(url, { username: 'air-001', password: secret });
    await device.publishAsync('city/sensors/air-001/up', 'from-mqttjs', { qos: 1 });
    expect(await exited).toBe(0);
    expect(stdout).toContain('city/sensors/air-001/up from-mqttjs');
  });

  it('refuses mosquitto_pub with a wrong password: bad user name or password (CONNACK 4)', async () => {
    const { add, broker } = await startBroker();
    await add({ id: 'air-001' });
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.ports.tcp), '-u', 'air-001', '-P', 'not-the-secret',
      '-t', 'city/sensors/air-001/up', '-m', 'x']);
    expect(pub.code).not.toBe(0);
    expect(pub.stderr).toMatch(/bad user name or password/i);
  });
});
