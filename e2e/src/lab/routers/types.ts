// The vocabulary every lab router speaks, so a table-driven interop test can swap FRR, BIRD and GoBGP.
export type AddressFamily = 'ipv4' | 'ipv6';
export type RouterKind = 'frr' | 'bird' | 'gobgp';

/** BFD for a lab neighbor (FRR `neighbor … bfd` with a bfdd profile; BIRD `bfd on` with protocol bfd). */
export interface LabBfd {
  /** ms; default 300 (FRR's and BIRD's default). */
  readonly minReceive?: number;
  readonly minTransmit?: number;
  readonly multiplier?: number;
  /** FRR: `neighbor … bfd check-control-plane-failure`. */
  readonly checkControlPlaneFailure?: boolean;
  /** BIRD: `bfd graceful` (a BFD Down starts a graceful restart) instead of `bfd on`. */
  readonly graceful?: boolean;
}

/** The timers of a LabBfd with the defaults applied. */
export function bfdTimers(bfd: LabBfd): { minReceive: number; minTransmit: number; multiplier: number } {
  return {
    minReceive: bfd.minReceive ?? 300,
    minTransmit: bfd.minTransmit ?? 300,
    multiplier: bfd.multiplier ?? 3,
  };
}

/** A configured BGP neighbor of the lab router (one of our speakers in a node namespace). */
export interface RouterPeer {
  address: string;
  asn: number;
  /** The router waits for the speaker to connect (default: the router dials too). */
  passive?: boolean;
  /** Hold time the router offers (seconds); the negotiated value is the smaller of both. */
  holdTime?: number;
  /** Families activated on the session; default: the transport address's family. */
  families?: readonly AddressFamily[];
  /** BFD with this neighbor (FRR, BIRD). */
  bfd?: LabBfd;
  /** TCP-MD5 password (FRR `password`, BIRD `password`, GoBGP `auth-password`). */
  password?: string;
  /** GTSM for a directly connected peer: TTL 255 out, only 255 in (FRR `ttl-security hops 1`). */
  ttlSecurity?: boolean;
  /** eBGP multihop TTL: the peer is this many hops away (FRR `ebgp-multihop`, BIRD `multihop`). */
  multihop?: number;
}

/** Dynamic neighbors: the router accepts sessions from any address in `prefix` (FRR `bgp listen range`). */
export interface ListenRange {
  prefix: string;
  asn: number;
}

export interface RouterConfig {
  asn: number;
  routerId: string;
  peers: readonly RouterPeer[];
  listenRanges: readonly ListenRange[];
}

/** One path in the router's RIB, normalised across implementations. */
export interface RibRoute {
  prefix: string;
  nexthop: string;
  /** Peer the path was learned from (transport address). */
  peer: string;
  best: boolean;
  asPath: number[];
  communities: string[];
  largeCommunities: string[];
  /** In Herald's text forms (`lb:64701:125000`, `rt:…`); what the router cannot name stays its own text. */
  extendedCommunities: string[];
  localPref?: number;
  med?: number;
  stale: boolean;
}

export interface PeerStatus {
  address: string;
  established: boolean;
  state: string;
  /** Prefixes accepted from this peer (when the router reports it). */
  prefixesReceived?: number;
}

export interface LabRouter {
  readonly kind: RouterKind;
  readonly ns: string;
  start(): Promise<void>;
  /** Stops the daemons (SIGTERM, then SIGKILL); idempotent. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP every daemon process: TCP stays open but nothing is sent (hold timer test). */
  freeze(): Promise<void>;
  unfreeze(): Promise<void>;
  addPeer(peer: RouterPeer): Promise<void>;
  removePeer(address: string): Promise<void>;
  /** Every path in the router's RIB for the family (attributes may be partial for FRR: use `route`). */
  routes(family: AddressFamily): Promise<RibRoute[]>;
  /** All paths for one prefix, with every attribute the router shows. */
  route(family: AddressFamily, prefix: string): Promise<RibRoute[]>;
  peers(): Promise<PeerStatus[]>;
  pids(): Promise<number[]>;
}

export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}
