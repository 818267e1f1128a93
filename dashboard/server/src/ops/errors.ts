// Typed errors of the operations store. Each carries the HTTP status the REST layer answers with, so
// a router maps any of them to `{error: message}` without knowing the store behind it.

export class OpsError extends Error {
  constructor(
    readonly httpStatus: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a username or password that breaks the policy, a limit out of range. */
export class OpsValidationError extends OpsError {
  constructor(message: string) {
    super(400, message);
  }
}

export class OpsNotFoundError extends OpsError {
  constructor(message: string) {
    super(404, message);
  }
}

/** A uniqueness rule: the username exists, an active incident already has this dedupe key. */
export class OpsConflictError extends OpsError {
  constructor(message: string) {
    super(409, message);
  }
}

/** saveRuleSet with a version other than the stored one: someone saved in between. */
export class RuleSetConflictError extends OpsConflictError {
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`rule set was changed meanwhile: expected version ${expectedVersion}, stored version is ${currentVersion}`);
  }
}
