// Turns a fleet plan into MQTT messages: one device turn at a time, the state (frame counters,
// detections in progress, fault rotation) kept here. Pure apart from the clock the caller passes.
import { topics } from '@city/shared';
import { nextDetection, newCameraState, type CameraState } from './cameras.ts';
import { FaultPicker, malformedPayload, type FaultKind } from './faults.ts';
import type { FleetPlan, PlannedDevice } from './fleet-plan.ts';
import { metricsAt, type SimulatedKind } from './patterns.ts';
import { frigateEvent, nativeCameraEvent, nativeReading, senmlPack, SNAPSHOT_JPEG, ttsUplink } from './payloads.ts';
import { hashSeed, mulberry32, type Rand } from './prng.ts';

export const MESSAGE_TYPES = [
  'reading',
  'senml',
  'tts-uplink',
  'camera-event',
  'camera-snapshot',
  'frigate-event',
  'frigate-snapshot',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface SimMessage {
  topic: string;
  payload: Buffer;
  /** the device it is from (for cameras behind Frigate: the camera) */
  deviceId: string;
  type: MessageType;
  /** set when the payload is malformed on purpose */
  fault?: FaultKind;
}

export interface GeneratorOptions {
  /** share of sensor messages (reading, senml, tts-uplink) malformed on purpose, 0..1 */
  badRatio?: number;
  badKinds?: readonly FaultKind[];
}

export class FleetGenerator {
  private readonly rand: Rand;
  private readonly faults: FaultPicker;
  private readonly fCnt = new Map<string, number>();
  private readonly cameras = new Map<string, CameraState>();

  constructor(
    private readonly plan: FleetPlan,
    options: GeneratorOptions = {},
  ) {
    this.rand = mulberry32(hashSeed(plan.seed, 'messages'));
    this.faults = new FaultPicker(options.badRatio ?? 0, options.badKinds);
  }

  /** The messages of one device turn at timeMs: one, or two for a new detection with its snapshot. */
  turn(device: PlannedDevice, timeMs: number): SimMessage[] {
    switch (device.transport) {
      case 'native':
      case 'senml':
      case 'tts':
        return [this.sensorMessage(device, timeMs)];
      case 'camera':
      case 'frigate':
        return this.cameraMessages(device, timeMs);
    }
  }

  private sensorMessage(device: PlannedDevice, timeMs: number): SimMessage {
    const valid = () => ({ observedAt: timeMs, metrics: metricsAt(device.kind as SimulatedKind, device.profile, device.seed, timeMs, this.rand) });
    let topic: string;
    let type: MessageType;
    let build: (observedAt: number, metrics: Record<string, number>) => Buffer;
    if (device.transport === 'tts') {
      const fCnt = this.fCnt.get(device.id) ?? 0;
      this.fCnt.set(device.id, fCnt + 1);
      topic = topics.ttsUplink(this.plan.tts.app, this.plan.tts.tenant, device.id);
      type = 'tts-uplink';
      build = (observedAt, metrics) => ttsUplink({ device, tts: this.plan.tts, observedAt, metrics, fCnt, rand: this.rand });
    } else {
      topic = topics.sensorUp(device.id);
      type = device.transport === 'senml' ? 'senml' : 'reading';
      build = device.transport === 'senml' ? (observedAt, metrics) => senmlPack(device.id, observedAt, metrics) : nativeReading;
    }
    const fault = this.faults.pick();
    if (fault) return { topic, payload: malformedPayload(fault, device, valid, build), deviceId: device.id, type, fault };
    const { observedAt, metrics } = valid();
    return { topic, payload: build(observedAt, metrics), deviceId: device.id, type };
  }

  private cameraMessages(device: PlannedDevice, timeMs: number): SimMessage[] {
    const frigate = device.transport === 'frigate';
    const step = nextDetection(device, this.cameras.get(device.id) ?? newCameraState(), timeMs, this.rand, frigate);
    this.cameras.set(device.id, step.state);
    const d = step.detection;
    const out: SimMessage[] = frigate
      ? [{ topic: topics.frigateEvents(), payload: frigateEvent(d, step.previous), deviceId: device.id, type: 'frigate-event' }]
      : [{ topic: topics.cameraEvents(device.id), payload: nativeCameraEvent(d), deviceId: device.id, type: 'camera-event' }];
    if (d.phase === 'new' && d.hasSnapshot) {
      out.push(
        frigate
          ? { topic: topics.frigateSnapshot(device.id, d.label), payload: SNAPSHOT_JPEG, deviceId: device.id, type: 'frigate-snapshot' }
          : { topic: topics.cameraSnapshot(device.id), payload: SNAPSHOT_JPEG, deviceId: device.id, type: 'camera-snapshot' },
      );
    }
    return out;
  }
}
