// The whole Herald system on one machine (chart, controllers, speakers, kube-proxy stand-ins, FRR, client):
// shared by the full e2e (e2e/src/system-*.test.ts) and the local lab (`npm run lab`).
export * from './kube-proxy.ts';
export * from './lab-state.ts';
export * from './system.ts';
export * from './values.ts';
