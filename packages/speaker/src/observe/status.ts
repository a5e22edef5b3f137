// The /status document: what this speaker peers with and announces, for operators and `heraldctl status`.
// The shape is a public contract (heraldctl parses it): add fields, never rename them.
import type { DesiredRoute } from '../announce/model.ts';
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
      }>
    >
  >;
  readonly services: { readonly announcing: number; readonly notAnnouncing: number };
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
}): StatusDocument {
  const announced: Record<string, StatusDocument['announced'][string]> = {};
  for (const [peer, routes] of args.announced) {
    announced[peer] = routes.map((r) => ({
      prefix: r.prefix,
      services: r.services,
      ...(r.attributes.localPref !== undefined ? { localPref: r.attributes.localPref } : {}),
      communities: r.attributes.communities,
      largeCommunities: r.attributes.largeCommunities,
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
  };
}
