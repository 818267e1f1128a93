// The one error type both adapters throw: a message that says what went wrong and what to check, plus a
// machine-readable reason so a caller can tell "retry later" (server down) from "this batch can never be
// written" (bad data).

export type StoreErrorReason =
  /** connection refused, DNS failure, reset: the server is down or the URL is wrong */
  | 'unreachable'
  /** no answer within the configured timeout */
  | 'timeout'
  /** 401/403: missing, wrong or under-privileged token */
  | 'unauthorized'
  /** 404: database or bucket missing, or the server does not offer this API */
  | 'not_found'
  /** 400: the server refused the data (line protocol, field type conflict) */
  | 'bad_data'
  /** 5xx, 429 or anything else the server answered */
  | 'server'
  /** the local store (SQLite) failed: disk full, read-only, corrupt */
  | 'local';

export class StoreError extends Error {
  constructor(
    message: string,
    readonly reason: StoreErrorReason,
    /** true when the same call may succeed later without any change (server down, timeout, 5xx) */
    readonly retriable: boolean,
    /** HTTP status when the server answered */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
