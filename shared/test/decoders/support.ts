// Factories for decoder tests: each test builds its own devices and context, nothing shared mutates.
import { expect } from 'vitest';
import type { Device } from '../../src/device-registry.ts';
import type { DeadLetterReason, DecodeContext, DecodeResult, Decoded } from '../../src/decoders/index.ts';

/** 2025-11-28T06:40:05Z, five seconds after the readings in most examples. */
export const RECEIVED_AT = Date.parse('2025-11-28T06:40:05Z');

/** Inside the Loop and Near North Side rectangles of the demo city. */
export const IN_LOOP = { lat: 41.88, lon: -87.63 };
export const IN_NEAR_NORTH = { lat: 41.9, lon: -87.63 };

export function device(id: string, fields: Partial<Device> = {}): Device {
  return { id, kind: 'generic', role: 'device', topicPrefixes: [], hasSecret: true, createdAt: 0, online: true, ...fields };
}

export function context(devices: Device[] = [], receivedAt = RECEIVED_AT): DecodeContext {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return { receivedAt, lookupDevice: (id) => byId.get(id) };
}

export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The decoded message of a result that must have succeeded (prints the failure otherwise). */
export function accepted(result: DecodeResult): Decoded {
  if (!result.ok) expect.fail(`expected the message to be accepted, got ${result.reason}: ${result.detail}`);
  return result;
}

/** The detail of a result that must have failed with this reason. */
export function refused(result: DecodeResult, reason: DeadLetterReason): string {
  if (result.ok) expect.fail(`expected ${reason}, but the message was accepted: ${JSON.stringify(result)}`);
  expect(result.reason, result.detail).toBe(reason);
  return result.detail;
}
