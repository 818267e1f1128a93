// MQTT over WebSocket and over TLS (self-signed certificate made by openssl), with the same auth.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/support/tmp.ts';
import { collect, connect, connectError, run, startBroker, waitFor } from './support.ts';

async function selfSignedCert(): Promise<{ certFile: string; keyFile: string }> {
  const dir = tmpDir('broker-tls-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const result = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile]);
  expect(result.code, result.stderr).toBe(0);
  return { certFile, keyFile };
}

describe('transports', () => {
  it('speaks MQTT over WebSocket, with the same authentication', async () => {
    const { url, add, broker } = await startBroker();
    const secret = await add({ id: 'air-001' });
    await add({ id: 'dash', role: 'service', secret: 'service-secret-1' });
    const wsUrl = `ws://127.0.0.1:${broker.ports.ws}`;
    const dashboard = await connect(wsUrl, { username: 'dash', password: 'service-secret-1' });
    const received = collect(dashboard);
    await dashboard.subscribeAsync('city/sensors/#', { qos: 1 });

    const device = await connect(url, { username: 'air-001', password: secret });
    await device.publishAsync('city/sensors/air-001/up', 'over-tcp', { qos: 1 });
    const wsDevice = await connect(wsUrl, { username: 'air-001', password: secret, clientId: 'ws-air' });
    await wsDevice.publishAsync('city/sensors/air-001/up', 'over-ws', { qos: 1 });
    await waitFor('both', () => received.length === 2);
    expect(received.map((m) => m.payload).sort()).toEqual(['over-tcp', 'over-ws']);
    expect((await connectError(wsUrl, { username: 'air-001', password: 'wrong-secret-00' })).code).toBe(4);
  });

  it('leaves the WebSocket listener off with MQTT_WS_ENABLED=false', async () => {
    const { broker } = await startBroker({ MQTT_WS_ENABLED: 'false' });
    expect(broker.ports.ws).toBeUndefined();
  });

  it('speaks MQTT over TLS with the given certificate (MQTT.js and mosquitto_pub)', async () => {
    const { certFile, keyFile } = await selfSignedCert();
    const { add, broker } = await startBroker({ MQTT_TLS_CERT_FILE: certFile, MQTT_TLS_KEY_FILE: keyFile });
    const secret = await add({ id: 'air-001' });
    await add({ id: 'ingest', role: 'service', secret: 'service-secret-1' });
    const tlsUrl = `mqtts://127.0.0.1:${broker.ports.tls}`;
    const ca = readFileSync(certFile);
    const ingest = await connect(tlsUrl, { username: 'ingest', password: 'service-secret-1', ca, rejectUnauthorized: true });
    const received = collect(ingest);
    await ingest.subscribeAsync('city/sensors/#', { qos: 1 });

    const device = await connect(tlsUrl, { username: 'air-001', password: secret, ca, rejectUnauthorized: true });
    await device.publishAsync('city/sensors/air-001/up', 'over-tls', { qos: 1 });
    const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.ports.tls), '--cafile', certFile,
      '-u', 'air-001', '-P', secret, '-t', 'city/sensors/air-001/up', '-m', 'mosquitto-over-tls', '-q', '1']);
    expect(pub).toMatchObject({ code: 0, stderr: '' });
    await waitFor('both', () => received.length === 2);
    expect(received.map((m) => m.payload)).toEqual(['over-tls', 'mosquitto-over-tls']);
  });
});
