// aedes-persistence-redis 11 ships no types: the part we use.
declare module 'aedes-persistence-redis' {
  import type { Redis, RedisOptions } from 'ioredis';

  interface AedesPersistenceRedisOptions extends RedisOptions {
    /** an existing connection to use instead of opening one */
    conn?: Redis;
    /** queued messages sent to a session on CONNECT (default 1000) */
    maxSessionDelivery?: number;
    /** seconds a queued packet lives; 0 = forever (default) */
    packetTTL?: (packet: unknown) => number;
  }

  function aedesPersistenceRedis(options?: AedesPersistenceRedisOptions): unknown;
  export default aedesPersistenceRedis;
}
