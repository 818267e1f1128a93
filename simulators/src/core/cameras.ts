// A camera's detections as a small state machine: each turn starts a detection (new), follows it
// (update) or closes it (end). Pure: the state is a value the caller keeps.
import type { PlannedDevice } from './fleet-plan.ts';
import type { Detection } from './payloads.ts';
import { between, intBetween, round, type Rand } from './prng.ts';

/** What cameras see in a city street, with weights. */
const LABELS: ReadonlyArray<readonly [string, number]> = [
  ['person', 0.42],
  ['car', 0.3],
  ['bicycle', 0.1],
  ['truck', 0.07],
  ['bus', 0.05],
  ['motorcycle', 0.03],
  ['dog', 0.03],
];
const PLATE_LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

export interface CameraState {
  /** the detection in progress and how many updates it still gets */
  active?: { detection: Detection; updatesLeft: number };
  /** detections started so far, for unique ids */
  started: number;
}

export function newCameraState(): CameraState {
  return { started: 0 };
}

function pickLabel(rand: Rand): string {
  let r = rand();
  for (const [label, weight] of LABELS) {
    if ((r -= weight) < 0) return label;
  }
  return 'person';
}

/** An Illinois-style plate: "CK 12345" or "AB1 234". */
function plate(rand: Rand): string {
  const letter = () => PLATE_LETTERS[Math.floor(rand() * PLATE_LETTERS.length)]!;
  return rand() < 0.5
    ? `${letter()}${letter()} ${intBetween(rand, 10000, 99999)}`
    : `${letter()}${letter()}${intBetween(rand, 1, 9)} ${intBetween(rand, 100, 999)}`;
}

const base36 = (rand: Rand, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 36).toString(36)).join('');

/**
 * The next phase for this camera at timeMs, and the state after it. `frigateIds` makes event ids
 * the way Frigate does ("1764312000.123456-ab12cd").
 */
export function nextDetection(device: PlannedDevice, state: CameraState, timeMs: number, rand: Rand, frigateIds: boolean): { detection: Detection; previous?: Detection; state: CameraState } {
  const active = state.active;
  if (!active) {
    const label = pickLabel(rand);
    const zones = (device.zones ?? []).filter(() => rand() < 0.7);
    const x1 = intBetween(rand, 0, 1000);
    const y1 = intBetween(rand, 100, 500);
    const score = round(between(rand, 0.62, 0.93), 3);
    const n = state.started + 1;
    const detection: Detection = {
      cameraId: device.id,
      phase: 'new',
      eventId: frigateIds ? `${(timeMs / 1000).toFixed(6)}-${base36(rand, 6)}` : `${device.id}-${timeMs}-${n}`,
      label,
      score,
      topScore: score,
      startMs: timeMs,
      frameMs: timeMs,
      zones,
      enteredZones: zones,
      box: [x1, y1, x1 + intBetween(rand, 40, 260), y1 + intBetween(rand, 60, 200)],
      hasSnapshot: true,
    };
    if ((label === 'car' || label === 'truck') && rand() < 0.5) detection.plate = plate(rand);
    return { detection, state: { started: n, active: { detection, updatesLeft: intBetween(rand, 0, 3) } } };
  }
  const previous = active.detection;
  const score = round(Math.min(0.99, Math.max(0.5, previous.score + between(rand, -0.05, 0.08))), 3);
  const dx = intBetween(rand, -40, 40);
  const [x1, y1, x2, y2] = previous.box;
  const detection: Detection = {
    ...previous,
    phase: active.updatesLeft > 0 ? 'update' : 'end',
    score,
    topScore: Math.max(previous.topScore, score),
    frameMs: Math.max(timeMs, previous.frameMs),
    box: [Math.max(0, x1 + dx), y1, Math.max(1, x2 + dx), y2],
  };
  const next: CameraState =
    detection.phase === 'end'
      ? { started: state.started }
      : { started: state.started, active: { detection, updatesLeft: active.updatesLeft - 1 } };
  return { detection, previous, state: next };
}
