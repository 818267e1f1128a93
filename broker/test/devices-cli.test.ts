// The devices CLI as a subprocess, changing the registry while the broker runs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, connectError, run, startBroker } from './support.ts';

const root = join(import.meta.dirname, '../..');
const cli = (dataDir: string, ...args: string[]) =>
  run('npx', ['tsx', 'broker/src/devices-cli.ts', ...args], { cwd: root, env: { DATA_DIR: dataDir }, timeoutMs: 30_000 });

describe('devices CLI', () => {
  it('adds a device while the broker runs, which then connects with the printed secret; remove locks it out', async () => {
    const { url, dataDir } = await startBroker();
    const added = await cli(dataDir, 'add', 'air-042', '--kind', 'air_quality', '--lat', '41.88', '--lon', '-87.63');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('added air-042 (air_quality, device, district loop)');
    const secret = /^secret: (\S+)$/m.exec(added.stdout)?.[1];
    expect(secret).toBeDefined();

    const device = await connect(url, { username: 'air-042', password: secret });
    await device.publishAsync('city/sensors/air-042/up', '{}', { qos: 1 });

    const listed = await cli(dataDir, 'list');
    expect(listed.stdout).toMatch(/^air-042\s+air_quality\s+device\s+loop\s+yes\s+\d{4}-/m);

    const removed = await cli(dataDir, 'remove', 'air-042');
    expect(removed).toMatchObject({ code: 0, stdout: 'removed air-042\n' });
    expect((await connectError(url, { username: 'air-042', password: secret, clientId: 'again' })).code).toBe(4);
  });

  it('rotates a secret: the old one stops working', async () => {
    const { url, dataDir, add } = await startBroker();
    const old = await add({ id: 'nvr-1', kind: 'camera', role: 'gateway', topicPrefixes: ['frigate/'] });
    const rotated = await cli(dataDir, 'rotate', 'nvr-1', '--secret', 'a-brand-new-secret');
    expect(rotated).toMatchObject({ code: 0, stdout: 'secret: set to the one given\n' });
    expect((await connectError(url, { username: 'nvr-1', password: old })).code).toBe(4);
    await connect(url, { username: 'nvr-1', password: 'a-brand-new-secret' });
  });

  it('exits 2 with a clear message on bad usage', async () => {
    const { dataDir } = await startBroker();
    const unknownKind = await cli(dataDir, 'add', 'x1', '--kind', 'toaster');
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toContain('--kind: expected one of air_quality, noise, traffic, water_level, parking, street_light, waste_bin, camera, generic (got toaster)');
    expect((await cli(dataDir, 'frobnicate')).code).toBe(2);
    expect((await cli(dataDir, 'add', 'x1')).stderr).toContain('--kind is required');
    expect((await cli(dataDir, 'add', 'x1', '--kind', 'noise', '--lat', '41.9')).stderr).toContain('--lat and --lon: expected both or neither');
    expect((await cli(dataDir, 'add', 'x1', '--kind', 'noise', '--role', 'admin')).code).toBe(2);
    const help = await cli(dataDir, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run devices');
    const missing = await cli(dataDir, 'remove', 'ghost');
    expect(missing).toMatchObject({ code: 1, stderr: 'error: device ghost not found\n' });
  });
});
