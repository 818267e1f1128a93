// MQTT_MAX_QUEUED_PER_SESSION for aedes' in-memory persistence, which keeps every QoS 1/2 message
// for a persistent session without bound (an ingest worker down for an hour would take the broker's
// memory with it). The persistence's queue is private, so the limit wraps the three methods that
// add to and remove from it and keeps a count per client id:
//   outgoingEnqueue / outgoingEnqueueCombi add one message per session (online or offline: the
//   queue also holds in-flight messages until their PUBACK); outgoingClearMessageId removes one
//   and returns it. When a session is full, new messages for it are not stored (tail drop, like
//   Mosquitto's max_queued_messages) and counted; other sessions still get them. A session that is
//   online still receives a dropped message once (outgoingUpdate's 'no such packet' for it is
//   answered as done, where aedes would otherwise disconnect the client), without redelivery.
// The count is per broker process. With the Redis persistence (a cluster) a session's queue is filled
// by every broker and emptied by the one its client is on, so limitQueuedPerSessionInRedis asks Redis
// for the queue's length instead (one pipelined LLEN per QoS 1/2 message with persistent subscribers).

import type { AedesPublishPacket } from 'aedes';
import type { Redis } from 'ioredis';

interface QueueSub {
  clientId: string;
}

export interface OutgoingPersistence {
  outgoingEnqueue(sub: QueueSub, packet: AedesPublishPacket): Promise<void>;
  outgoingEnqueueCombi(subs: QueueSub[], packet: AedesPublishPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
  outgoingUpdate(client: { id: string }, packet: unknown): Promise<unknown>;
}

export interface SessionQueueLimit {
  queued(clientId: string): number;
}

export function limitQueuedPerSession(
  persistence: OutgoingPersistence,
  maxQueuedPerSession: number,
  onDrop: (clientId: string, topic: string) => void,
): SessionQueueLimit {
  const counts = new Map<string, number>();
  const enqueue = persistence.outgoingEnqueue.bind(persistence);
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  const update = persistence.outgoingUpdate.bind(persistence);

  function take(clientId: string, topic: string): boolean {
    const n = counts.get(clientId) ?? 0;
    if (n >= maxQueuedPerSession) {
      onDrop(clientId, topic);
      return false;
    }
    counts.set(clientId, n + 1);
    return true;
  }

  persistence.outgoingEnqueue = (sub, packet) => (take(sub.clientId, packet.topic) ? enqueue(sub, packet) : Promise.resolve());
  persistence.outgoingEnqueueCombi = (subs, packet) => {
    const kept = subs.filter((sub) => take(sub.clientId, packet.topic));
    return kept.length > 0 ? enqueueCombi(kept, packet) : Promise.resolve();
  };
  persistence.outgoingClearMessageId = async (client, packet) => {
    const removed = await clear(client, packet);
    if (removed) {
      const n = (counts.get(client.id) ?? 1) - 1;
      if (n > 0) counts.set(client.id, n);
      else counts.delete(client.id);
    }
    return removed;
  };
  persistence.outgoingUpdate = (client, packet) =>
    update(client, packet).catch((err: Error) => {
      if (err.message !== 'no such packet') throw err;
    });
  return { queued: (clientId) => counts.get(clientId) ?? 0 };
}

/**
 * The same limit for aedes-persistence-redis: the length of the session's list in Redis (the key
 * layout of aedes-persistence-redis 11: `outgoing:{encoded client id}`) decides. Brokers checking
 * at the same moment may each add one past the limit: it bounds, it is not exact.
 */
export function limitQueuedPerSessionInRedis(
  persistence: OutgoingPersistence,
  redis: Redis,
  maxQueuedPerSession: number,
  onDrop: (clientId: string, topic: string) => void,
): void {
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  const update = persistence.outgoingUpdate.bind(persistence);

  async function withRoom(subs: QueueSub[], topic: string): Promise<QueueSub[]> {
    if (subs.length === 0) return subs;
    const lengths = await redis.pipeline(subs.map((sub) => ['llen', `outgoing:${encodeURIComponent(sub.clientId)}`])).exec();
    return subs.filter((sub, i) => {
      const [err, length] = lengths?.[i] ?? [null, 0];
      if (err) throw err;
      if ((length as number) < maxQueuedPerSession) return true;
      onDrop(sub.clientId, topic);
      return false;
    });
  }

  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    const kept = await withRoom(subs, packet.topic);
    if (kept.length > 0) await enqueueCombi(kept, packet);
  };
  persistence.outgoingEnqueue = (sub, packet) => persistence.outgoingEnqueueCombi([sub], packet);
  persistence.outgoingUpdate = (client, packet) =>
    update(client, packet).catch((err: Error) => {
      if (err.message !== 'no such packet') throw err;
    });
}
