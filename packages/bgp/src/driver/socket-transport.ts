/** BgpTransport over a node:net Socket. */
import type { Socket } from 'node:net';
import type { TransportInfo } from '../fsm/events.ts';
import type { BgpTransport, TransportHandlers } from './transport.ts';

/** IPv4 peers reach a dual-stack listener as ::ffff:a.b.c.d; BGP config names them as a.b.c.d. */
export function unmapAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** After end(), give the peer this long to take our last bytes (a NOTIFICATION) before tearing down. */
const END_GRACE_MS = 2000;

/**
 * `keepaliveSeconds`: idle time before TCP keepalive probes (0 = off). They only matter when the negotiated
 * hold time is 0: then BGP sends no KEEPALIVEs and a vanished peer is noticed by TCP alone.
 */
export function socketTransport(socket: Socket, keepaliveSeconds: number): BgpTransport {
  // KEEPALIVEs and NOTIFICATIONs are tiny and time-critical; never let Nagle hold them back.
  socket.setNoDelay(true);
  if (keepaliveSeconds > 0) socket.setKeepAlive(true, keepaliveSeconds * 1000);
  const info: TransportInfo = {
    localAddress: unmapAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: unmapAddress(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
  };
  return {
    info,
    write: (data) => socket.write(data),
    end() {
      socket.end();
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    },
    destroy: () => socket.destroy(),
    attach(h: TransportHandlers) {
      let closedReason = 'closed';
      socket.on('data', (chunk: Buffer) => h.data(chunk));
      socket.on('drain', () => h.drain());
      socket.on('end', () => {
        closedReason = 'peer closed the connection';
        socket.end();
      });
      socket.on('error', (err) => {
        closedReason = err.message;
      });
      socket.on('close', () => h.closed(closedReason));
    },
  };
}
