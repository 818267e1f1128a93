// MQTT 3.1.1 CONNACK return codes the broker answers with [MQTT-3.2.2.3], and the error aedes
// turns into such a CONNACK when an authenticate handler fails with it.

export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

export type ConnackRefusal = (typeof CONNACK)[keyof typeof CONNACK];

export class ConnectRefused extends Error {
  constructor(
    readonly returnCode: ConnackRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectRefused';
  }
}
