// socket.io-client retries by itself after a lost connection, but not after the server disconnected
// it, which is what a server stopping (a restart, a rolling deployment behind the load balancer) does:
// a wall screen must come back on its own. A refused session then ends in connect_error, which it
// does not retry either: no loop.
import type { Socket } from 'socket.io-client';

/** Reconnects `socket` after a server-side disconnect, as after a lost connection. */
export function reconnectAfterServerDisconnect(socket: Socket, reason: string): void {
  if (reason === 'io server disconnect') socket.connect();
}
