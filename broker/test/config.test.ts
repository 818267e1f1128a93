import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from '@city/shared';
import { tmpDir } from '../../test/support/tmp.ts';
import { readBrokerConfig } from '../src/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  const reader = new EnvReader(env);
  readBrokerConfig(reader);
  try {
    reader.assertValid();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('readBrokerConfig', () => {
  it('has documented defaults', () => {
    const config = readBrokerConfig(new EnvReader({}));
    expect(config).toEqual({
      dataDir: './data',
      logLevel: 'info',
      host: '0.0.0.0',
      port: 1883,
      wsPort: 9001,
      tls: undefined,
      allowAnonymous: false,
      httpPort: 9101,
      limits: {
        maxPayloadBytes: 1_048_576,
        maxConnections: 10_000,
        keepaliveMaxS: 300,
        connectTimeoutMs: 10_000,
        drainTimeoutMs: 30_000,
        maxQueuedPerSession: 100_000,
      },
    });
  });

  it('joins a cluster with REDIS_URL, refusing another scheme and a broker name Redis keys cannot hold', () => {
    expect(readBrokerConfig(new EnvReader({ REDIS_URL: 'redis://redis:6379/2', BROKER_NAME: 'broker-a' })).cluster).toEqual({
      redisUrl: new URL('redis://redis:6379/2'),
      brokerName: 'broker-a',
      redisConnectTimeoutMs: 10_000,
      heartbeatIntervalMs: 60_000,
    });
    expect(problemsOf({ REDIS_URL: 'http://redis:6379', BROKER_NAME: 'a:b' })).toEqual([
      'REDIS_URL: expected a URL starting with redis: or rediss: (got "http://redis:6379")',
      'BROKER_NAME: expected 1-64 of A-Z a-z 0-9 _ . - (got "a:b")',
    ]);
  });

  it('disables the WebSocket listener with MQTT_WS_ENABLED=false', () => {
    expect(readBrokerConfig(new EnvReader({ MQTT_WS_ENABLED: 'false' })).wsPort).toBeUndefined();
  });

  it('lists every problem at once: a bad port and a certificate without its key', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'cert.pem'), 'not really');
    const problems = problemsOf({ MQTT_PORT: '70000', MQTT_TLS_CERT_FILE: join(dir, 'cert.pem'), MQTT_MAX_PAYLOAD_BYTES: 'lots' });
    expect(problems).toEqual([
      'MQTT_PORT: expected an integer in 0..65535 (got "70000")',
      'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE: expected both or neither (got only one)',
      'MQTT_MAX_PAYLOAD_BYTES: expected an integer in 1..268435455 (got "lots")',
    ]);
  });

  it('refuses unreadable or invalid certificate files, and clashing ports', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'cert.pem'), 'not a certificate');
    writeFileSync(join(dir, 'key.pem'), 'not a key');
    expect(problemsOf({ MQTT_TLS_CERT_FILE: join(dir, 'missing.pem'), MQTT_TLS_KEY_FILE: join(dir, 'key.pem') })).toEqual([
      `MQTT_TLS_CERT_FILE: expected a readable file (got ${JSON.stringify(join(dir, 'missing.pem'))}: ENOENT)`,
    ]);
    const [invalid] = problemsOf({ MQTT_TLS_CERT_FILE: join(dir, 'cert.pem'), MQTT_TLS_KEY_FILE: join(dir, 'key.pem') });
    expect(invalid).toMatch(/^MQTT_TLS_CERT_FILE, MQTT_TLS_KEY_FILE: expected a PEM certificate and its private key/);
    expect(problemsOf({ MQTT_PORT: '1884', MQTT_WS_PORT: '1884' })).toEqual(['MQTT_PORT, MQTT_WS_PORT: expected different ports (both 1884)']);
  });
});
