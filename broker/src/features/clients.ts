// Small helpers about an aedes client shared by the features.
import type { Client } from 'aedes';
import type { Socket } from 'node:net';

/** The peer address, for logs: the TCP/TLS socket's, or the WebSocket request's socket's. */
export function remoteOf(client: Client): string | undefined {
  const socket = (client.req?.socket ?? client.conn) as Partial<Socket>;
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : undefined;
}
