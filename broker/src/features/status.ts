// Device status: retained city/devices/{id}/status "online" when a device or gateway is ready,
// "offline" when its last connection goes (DISCONNECT, dropped socket, keepalive expiry), and
// the registry's online flag and last-seen time. A device may also set its own last will there.
import type { Aedes, Client } from 'aedes';
import type { DeviceRegistry, Logger } from '@city/shared';
import { topics } from '@city/shared';
import type { Identity } from '../core/acl.ts';

export interface StatusContext {
  aedes: Aedes;
  registry: DeviceRegistry;
  logger: Logger;
  identityOf: (client: Client | null) => Identity | undefined;
  /**
   * Other brokers share the registry and hold connections of their own (REDIS_URL): start-up must not
   * mark their devices offline. A broker that dies leaves its devices "online" in the registry until
   * they reconnect; their own last wills are published by a surviving broker (aedes' heartbeat).
   */
  clustered?: boolean;
}

export class DeviceStatus {
  /** live connections per identity on this broker: a device may hold several (different client ids, or a takeover) */
  private readonly connections = new Map<string, Set<Client>>();

  constructor(private readonly ctx: StatusContext) {}

  /** Devices marked online by a previous run that ended without saying goodbye are offline now. */
  start(): void {
    if (this.ctx.clustered) return;
    for (const device of this.ctx.registry.list()) {
      if (device.online) this.ctx.registry.setOnline(device.id, false, device.lastSeenAt);
    }
  }

  onReady(client: Client): void {
    const who = this.ctx.identityOf(client);
    if (!who || who.role === 'anonymous') return;
    let set = this.connections.get(who.id);
    if (!set) this.connections.set(who.id, (set = new Set()));
    set.add(client);
    this.setOnline(who, true);
  }

  onDisconnect(client: Client): void {
    const who = this.ctx.identityOf(client);
    if (!who || who.role === 'anonymous') return;
    const set = this.connections.get(who.id);
    if (!set?.delete(client)) return;
    if (set.size > 0) return;
    this.connections.delete(who.id);
    this.setOnline(who, false);
  }

  private setOnline(who: Identity, online: boolean): void {
    try {
      this.ctx.registry.setOnline(who.id, online);
    } catch (err) {
      this.ctx.logger.error('cannot record device status', { id: who.id, online, err });
    }
    if (who.role === 'service') return;
    this.ctx.aedes.publish(
      {
        cmd: 'publish',
        topic: topics.deviceStatus(who.id),
        payload: Buffer.from(online ? 'online' : 'offline'),
        qos: 1,
        retain: true,
        dup: false,
      },
      (err) => {
        if (err) this.ctx.logger.error('cannot publish device status', { id: who.id, online, err });
      },
    );
  }
}
