// The /status document: what this speaker peers with and announces, for operators and `heraldctl status`.
// The shape is a public contract (heraldctl parses it): add fields, never rename them.

import { type DesiredRoute, LINK_BANDWIDTH_PER_ENDPOINT } from '../announce/model.ts';
import type { L2Status } from '../l2/announcer.ts';
import type { ConfigStatus } from '../runtime.ts';
import type { SessionSnapshot } from '../sessions/port.ts';

export interface StatusSession extends SessionSnapshot {
  readonly prefixes: { readonly ipv4: number; readonly ipv6: number };
}

export interface StatusDocument {
  readonly kind: 'HeraldSpeakerStatus';
  readonly node: string;
  readonly version: string;
  readonly ready: boolean;
  readonly shutdownMode: string;
  readonly config: ConfigStatus;
  readonly kube: ReadonlyArray<{
    resource: string;
    synced: boolean;
    connected: boolean;
    lastError: string | null;
  }>;
  readonly sessions: readonly StatusSession[];
  readonly announced: Readonly<
    Record<
      string,
      ReadonlyArray<{
        prefix: string;
        services: readonly string[];
        localPref?: number;
        communities: readonly string[];
        largeCommunities: readonly string[];
        /** weighting: endpoints — the endpoints behind this node the route is weighted by. */
        weight?: number;
        /** The link bandwidth community sent for `weight`. */
        linkBandwidth?: string;
        /** While the route carries GRACEFUL_SHUTDOWN before its withdrawal (RFC 8326). */
        drain?: { since: string; withdrawAt: string };
      }>
    >
  >;
  readonly services: { readonly announcing: number; readonly notAnnouncing: number };
  /** Layer-2 mode (docs/l2.md): the mesh, the interfaces, and who answers for each L2 address. */
  readonly l2?: L2Status;
}

export function buildStatus(args: {
  node: string;
  version: string;
  ready: boolean;
  shutdownMode: string;
  config: ConfigStatus;
  kube: StatusDocument['kube'];
  sessions: readonly SessionSnapshot[];
  announced: ReadonlyMap<string, readonly DesiredRoute[]>;
  decisions: ReadonlyMap<string, { announcing: boolean }>;
  l2?: L2Status;
}): StatusDocument {
  const announced: Record<string, StatusDocument['announced'][string]> = {};
  for (const [peer, routes] of args.announced) {
    announced[peer] = routes.map((r) => ({
      prefix: r.prefix,
      services: r.services,
      ...(r.attributes.localPref !== undefined ? { localPref: r.attributes.localPref } : {}),
      communities: r.attributes.gracefulShutdown
        ? [...new Set([...r.attributes.communities, 'graceful-shutdown'])]
        : r.attributes.communities,
      largeCommunities: r.attributes.largeCommunities,
      ...(r.attributes.weight !== undefined
        ? {
            weight: r.attributes.weight,
            linkBandwidth: `${(r.attributes.weight * LINK_BANDWIDTH_PER_ENDPOINT * 8) / 1e6} Mbit/s`,
          }
        : {}),
      ...(r.drain
        ? {
            drain: {
              since: new Date(r.drain.since).toISOString(),
              withdrawAt: new Date(r.drain.withdrawAt).toISOString(),
            },
          }
        : {}),
    }));
  }
  const sessions = args.sessions.map((s) => {
    // What the router really holds from us: the session's advertised counts, which leave out a family the
    // session did not negotiate (an IPv6 /128 desired on an IPv4-only session is not on the wire).
    if (s.prefixesAdvertised) return { ...s, prefixes: s.prefixesAdvertised };
    const routes = args.announced.get(s.peer) ?? [];
    const ipv4 = routes.filter((r) => r.family === 'ipv4').length;
    return { ...s, prefixes: { ipv4, ipv6: routes.length - ipv4 } };
  });
  let announcing = 0;
  for (const d of args.decisions.values()) if (d.announcing) announcing++;
  return {
    kind: 'HeraldSpeakerStatus',
    node: args.node,
    version: args.version,
    ready: args.ready,
    shutdownMode: args.shutdownMode,
    config: args.config,
    kube: args.kube,
    sessions,
    announced,
    services: { announcing, notAnnouncing: args.decisions.size - announcing },
    ...(args.l2 ? { l2: args.l2 } : {}),
  };
}
