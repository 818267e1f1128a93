// Topic access decisions: a pure function of who is asking and which topic. No I/O.
import type { DeviceRole } from '@city/shared/device-registry';

/** Who a connection is, for the ACL: the registry id (the MQTT username), or an anonymous client. */
export interface Identity {
  id: string;
  role: DeviceRole | 'anonymous';
  /** extra publish prefixes from the registry, e.g. "frigate/" */
  topicPrefixes: readonly string[];
}

export type AclDecision = { allowed: true } | { allowed: false; reason: string };

/** Only our own services write here: broker internals and the dead-letter stream. */
export const RESERVED_PREFIXES = ['$SYS', 'city/deadletter/'] as const;

const allow: AclDecision = { allowed: true };
const deny = (reason: string): AclDecision => ({ allowed: false, reason });

function isReserved(topic: string): boolean {
  return topic === 'city/deadletter' || RESERVED_PREFIXES.some((prefix) => topic.startsWith(prefix));
}

/** A topic with at least one level below `base/` (e.g. city/sensors/a1/up under city/sensors/a1). */
function isBelow(topic: string, base: string): boolean {
  return topic.startsWith(`${base}/`) && topic.length > base.length + 1;
}

export function ownStatusTopic(id: string): string {
  return `city/devices/${id}/status`;
}

export function decidePublish(who: Identity, topic: string): AclDecision {
  if (topic.length === 0) return deny('empty topic');
  // [MQTT-3.3.2-2] wildcards are not allowed in a PUBLISH topic name
  if (topic.includes('+') || topic.includes('#')) return deny('wildcard in publish topic');
  if (who.role === 'service') return allow;
  if (isReserved(topic)) return deny('reserved topic');
  if (who.role === 'anonymous') return allow;
  if (topic === ownStatusTopic(who.id)) return allow;
  if (who.topicPrefixes.some((prefix) => prefix.length > 0 && topic.startsWith(prefix))) return allow;
  if (who.role === 'device') {
    if (isBelow(topic, `city/sensors/${who.id}`) || isBelow(topic, `city/cameras/${who.id}`)) return allow;
  }
  return deny(`${who.role} ${who.id} may not publish to ${topic}`);
}

/** Devices and gateways may subscribe only inside their own command space city/devices/{id}/. */
export function decideSubscribe(who: Identity, filter: string): AclDecision {
  if (filter.length === 0) return deny('empty topic filter');
  if (who.role === 'service' || who.role === 'anonymous') return allow;
  const own = `city/devices/${who.id}`;
  if (isBelow(filter, own)) return allow;
  return deny(`${who.role} ${who.id} may subscribe only below ${own}/`);
}
