// The dead-letter envelope published on city/deadletter/{reason} and kept in the dead-letter log.

/** Only the start of a bad payload is kept: enough to see what it was, bounded in size. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

export interface DeadLetter {
  reason: string;
  detail: string;
  topic: string;
  /** epoch ms */
  receivedAt: number;
  /** the first DEAD_LETTER_PAYLOAD_BYTES of the payload */
  payloadBase64: string;
  /** the whole payload's size */
  payloadBytes: number;
}

export function toDeadLetter(input: { reason: string; detail: string; topic: string; receivedAt: number; payload: Buffer }): DeadLetter {
  return {
    reason: input.reason,
    detail: input.detail,
    topic: input.topic,
    receivedAt: input.receivedAt,
    payloadBase64: input.payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('base64'),
    payloadBytes: input.payload.length,
  };
}
