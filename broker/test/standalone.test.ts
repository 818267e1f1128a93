// The standalone broker process: listens, serves /metrics and /healthz, stops on SIGTERM.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { freePort } from '../../test/support/influxd.ts';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';

it('serves metrics and health, and exits 0 on SIGTERM', async () => {
  const httpPort = await freePort();
  const env = { ...process.env, DATA_DIR: tmpDir(), MQTT_PORT: '0', MQTT_WS_ENABLED: 'false', BROKER_HTTP_PORT: String(httpPort), MQTT_HOST: '127.0.0.1' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'broker/src/index.ts'], { env, stdio: 'ignore' });
  track(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
  const deadline = Date.now() + 20_000;
  let health: Response | undefined;
  while (!health && Date.now() < deadline) {
    health = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined);
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  expect(health?.status).toBe(200);
  expect(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).toMatch(/^city_broker_connected_clients 0$/m);
  child.kill('SIGTERM');
  expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
});
