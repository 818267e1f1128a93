import { describe, expect, it } from 'vitest';
import { decidePublish, decideSubscribe, type Identity } from '../../src/core/acl.ts';

const device: Identity = { id: 'air-001', role: 'device', topicPrefixes: [] };
const camera: Identity = { id: 'cam-7', role: 'device', topicPrefixes: ['v3/parking@city/'] };
const gateway: Identity = { id: 'nvr-1', role: 'gateway', topicPrefixes: ['frigate/'] };
const service: Identity = { id: 'ingest', role: 'service', topicPrefixes: [] };
const anonymous: Identity = { id: 'whoever', role: 'anonymous', topicPrefixes: [] };

const publishCases: Array<[Identity, string, boolean]> = [
  [device, 'city/sensors/air-001/up', true],
  [device, 'city/sensors/air-001/extra/level', true],
  [device, 'city/cameras/air-001/snapshot', true],
  [device, 'city/devices/air-001/status', true],
  [device, 'city/sensors/air-002/up', false],
  [device, 'city/sensors/air-001', false],
  [device, 'city/sensors/air-001/', false],
  [device, 'city/sensors/air-0011/up', false],
  [device, 'city/devices/air-002/status', false],
  [device, 'city/devices/air-001/cmd', false],
  [device, 'frigate/events', false],
  [device, 'city/sensors/+/up', false],
  [device, 'city/sensors/air-001/#', false],
  [device, '', false],
  [camera, 'v3/parking@city/devices/p1/up', true],
  [gateway, 'frigate/events', true],
  [gateway, 'frigate/cam-1/car/snapshot', true],
  [gateway, 'city/devices/nvr-1/status', true],
  [gateway, 'city/sensors/nvr-1/up', false],
  [gateway, 'v3/app@t/devices/d/up', false],
  [{ ...gateway, topicPrefixes: ['city/'] }, 'city/deadletter/bad-json', false],
  [{ ...gateway, topicPrefixes: ['$SYS'] }, '$SYS/x', false],
  [device, '$SYS/broker/clients', false],
  [service, 'city/deadletter/bad-json', true],
  [service, '$SYS/broker/x', true],
  [service, 'anything/at/all', true],
  [service, 'city/+/x', false],
  [anonymous, 'city/sensors/x/up', true],
  [anonymous, 'city/deadletter/x', false],
];

describe('decidePublish', () => {
  it.each(publishCases)('%o publishing to %j -> %s', (who, topic, allowed) => {
    expect(decidePublish(who, topic).allowed).toBe(allowed);
  });

  it('says why it refuses', () => {
    const decision = decidePublish(device, 'city/sensors/air-002/up');
    expect(decision).toEqual({ allowed: false, reason: 'device air-001 may not publish to city/sensors/air-002/up' });
  });
});

const subscribeCases: Array<[Identity, string, boolean]> = [
  [device, 'city/devices/air-001/#', true],
  [device, 'city/devices/air-001/cmd', true],
  [device, 'city/devices/air-001/+', true],
  [device, 'city/devices/air-001', false],
  [device, 'city/devices/+/status', false],
  [device, 'city/devices/#', false],
  [device, '#', false],
  [device, 'city/devices/air-0011/#', false],
  [gateway, 'city/devices/nvr-1/#', true],
  [gateway, 'frigate/#', false],
  [service, '#', true],
  [service, '$SYS/#', true],
  [anonymous, 'city/#', true],
];

describe('decideSubscribe', () => {
  it.each(subscribeCases)('%o subscribing to %j -> %s', (who, filter, allowed) => {
    expect(decideSubscribe(who, filter).allowed).toBe(allowed);
  });
});
