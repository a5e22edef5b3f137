// Node-address pools in the controller: which Services they serve (route.ts), which Nodes list them
// (nodes.ts), who owns a port on a node (ports.ts), how status writes are damped (damper.ts), the Node and
// EndpointSlice caches (caches.ts) and the reconcile that ties them together (reconciler.ts).
export { NodeAddressCaches } from './caches.ts';
export { Damper, type DampingParams, nodeAddressDamping } from './damper.ts';
export { eligibleNodes, ingressAddresses, nodeIneligibility, servingNodes } from './nodes.ts';
export { type PortConflict, PortTable, servicePorts } from './ports.ts';
export { describeConflicts, type NodeAddressDeps, NodeAddressReconciler } from './reconciler.ts';
export { isNodeAddressPool, type NodeAddressPool, type PoolRoute, routeService } from './route.ts';
