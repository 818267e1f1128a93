// Topic ACL on top of aedes' authorizePublish / authorizeSubscribe, deciding with core/acl.ts.
//
// aedes 1.2 on a refused PUBLISH (MQTT 3.1.1 has no negative PUBACK, [MQTT-3.3.5-2]): the
// authorizePublish error is emitted as clientError and the connection is closed. Nothing is
// delivered or retained. A device publishing outside its topics is therefore disconnected; a
// client that resends its unacknowledged QoS 1 message on reconnect is disconnected again.
// A refused SUBSCRIBE is answered with SUBACK 0x80 and the connection stays open.
//
// A last will is checked at CONNECT (refused: CONNACK 5) rather than when it is published: in a
// cluster a surviving broker publishes the will of a client that was on a broker that died, and then
// no connection, hence no identity, is at hand (aedes' authorizePublish gets client null).
import type { Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '@city/shared';
import { decidePublish, decideSubscribe, type AclDecision, type Identity } from '../core/acl.ts';
import { CONNACK, ConnectRefused } from '../core/connack.ts';
import type { Counter } from '../core/metrics.ts';
import { remoteOf } from './clients.ts';

export interface AclContext {
  logger: Logger;
  identityOf: (client: Client | null) => Identity | undefined;
  publishDenied: Counter;
  subscribeDenied: Counter;
}

export class AccessControl {
  constructor(private readonly ctx: AclContext) {}

  checkPublish(client: Client | null, packet: PublishPacket): AclDecision {
    // a will published by the broker itself, its topic checked at its CONNECT (checkWill)
    if (client === null) return { allowed: true };
    const who = this.ctx.identityOf(client);
    const decision: AclDecision = who ? decidePublish(who, packet.topic) : { allowed: false, reason: 'no identity' };
    if (!decision.allowed) {
      this.ctx.publishDenied.inc({ reason: 'acl' });
      this.ctx.logger.warn('publish denied', {
        id: who?.id,
        clientId: client?.id,
        remote: client ? remoteOf(client) : undefined,
        topic: packet.topic,
        reason: decision.reason,
      });
    }
    return decision;
  }

  /** After authentication: the will's topic must be one the client may publish to, or CONNACK 5. */
  checkWill(client: Client, who: Identity, willTopic: string | undefined): void {
    if (willTopic === undefined) return;
    const decision = decidePublish(who, willTopic);
    if (decision.allowed) return;
    this.ctx.publishDenied.inc({ reason: 'acl' });
    this.ctx.logger.warn('connection refused: last will outside the ACL', { id: who.id, clientId: client.id, topic: willTopic, reason: decision.reason });
    throw new ConnectRefused(CONNACK.notAuthorized, `last will on ${willTopic}: ${decision.reason}`);
  }

  /** The subscription to keep, or null to answer SUBACK 0x80 for it. */
  checkSubscribe(client: Client, sub: Subscription): Subscription | null {
    const who = this.ctx.identityOf(client);
    const decision: AclDecision = who ? decideSubscribe(who, sub.topic) : { allowed: false, reason: 'no identity' };
    if (decision.allowed) return sub;
    this.ctx.subscribeDenied.inc();
    this.ctx.logger.warn('subscribe denied', { id: who?.id, clientId: client.id, topic: sub.topic, reason: decision.reason });
    return null;
  }
}
