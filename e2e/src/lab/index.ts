// The network-namespace router lab: FRR, BIRD or GoBGP in a router namespace, our speakers in node namespaces.
export * from './docs.ts';
export * from './exec.ts';
export * from './frr-vty.ts';
export * from './herald.ts';
export * from './infra.ts';
export * from './lab.ts';
export * from './process.ts';
export * from './reference.ts';
export { BirdRouter, parseBirdRoutes, renderBirdConfig } from './routers/bird.ts';
export { type FrrBfdPeer, FrrRouter, parseFrrRoutes, renderFrrBgpd } from './routers/frr.ts';
export { GobgpRouter, parseGobgpRib, renderGobgpConfig } from './routers/gobgp.ts';
export * from './routers/types.ts';
export * from './safety.ts';
export * from './stale.ts';
export * from './topology.ts';
export * from './wait.ts';
