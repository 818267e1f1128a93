// Authentication: username = device id, password = its secret, checked against the registry
// (scrypt, off the event loop) on every CONNECT, so the devices CLI takes effect at once.
import type { Client } from 'aedes';
import type { DeviceRegistry, Logger } from '@city/shared';
import type { Identity } from '../core/acl.ts';
import { CONNACK, ConnectRefused } from '../core/connack.ts';
import type { Counter } from '../core/metrics.ts';
import { remoteOf } from './clients.ts';

export interface AuthContext {
  registry: DeviceRegistry;
  logger: Logger;
  allowAnonymous: boolean;
  authFailures: Counter;
}

export class Authenticator {
  /** who each connection is, for the ACL and the status feature; dropped with the client */
  private readonly identities = new WeakMap<Client, Identity>();

  constructor(private readonly ctx: AuthContext) {}

  start(): void {
    if (this.ctx.allowAnonymous) {
      this.ctx.logger.warn('MQTT_ALLOW_ANONYMOUS=true: clients without credentials get full topic access');
    }
  }

  identityOf(client: Client | null): Identity | undefined {
    return client ? this.identities.get(client) : undefined;
  }

  /** The identity for a CONNECT, or a ConnectRefused with return code 4 (3 when the registry fails). */
  async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Identity> {
    const { registry, logger } = this.ctx;
    if (username === undefined || username === '') {
      if (this.ctx.allowAnonymous) return this.remember(client, { id: client.id, role: 'anonymous', topicPrefixes: [] });
      throw this.refuse(client, undefined, 'no credentials');
    }
    let device;
    try {
      device = await registry.verify(username, password?.toString('utf8') ?? '');
    } catch (err) {
      logger.error('device registry failed during authentication', { username, err });
      throw new ConnectRefused(CONNACK.serverUnavailable, 'device registry unavailable');
    }
    if (!device) throw this.refuse(client, username, 'unknown id or wrong secret');
    return this.remember(client, { id: device.id, role: device.role, topicPrefixes: device.topicPrefixes });
  }

  private remember(client: Client, identity: Identity): Identity {
    this.identities.set(client, identity);
    return identity;
  }

  private refuse(client: Client, username: string | undefined, reason: string): ConnectRefused {
    this.ctx.authFailures.inc();
    // never the password
    this.ctx.logger.warn('authentication failed', { username, clientId: client.id, remote: remoteOf(client), reason });
    return new ConnectRefused(CONNACK.badUserNameOrPassword, 'bad user name or password');
  }
}
