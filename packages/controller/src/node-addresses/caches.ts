// The controller's Node and EndpointSlice caches, for node-address pools only. Nodes are watched on every
// replica from the start (few, and slimmed): restoring assignments at leader start must recognise a status that
// lists node addresses. EndpointSlices are many, and only Local node-address Services read them, so they are
// watched only while this replica leads with a configuration that has a node-address pool; a Local Service
// reconciled before they are synced waits (see NodeAddressReconciler).

import { type BackoffParams, formatIp, parseIp } from '@herald/inet';
import {
  type Change,
  type KubeClient,
  nodeChanged,
  Reflector,
  type ReflectorVerb,
  serviceNameLabel,
  slimEndpointSlice,
  slimNode,
  type Watcher,
} from '@herald/kube';
import type { Logger } from '@herald/kube/process';
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';

export interface NodeAddressCacheOptions {
  readonly api: Pick<KubeClient, 'list'>;
  readonly watcher: Watcher;
  readonly log: Logger;
  readonly backoff: BackoffParams;
  readonly onError: (resource: string, verb: ReflectorVerb) => void;
  /** A Node changed in something eligibility or addresses read. */
  readonly onNodes: () => void;
  /** Slices of these Services (namespace/name) changed, or the cache has just synced (`synced`). */
  readonly onSlices: (services: readonly string[], synced: boolean) => void;
}

const ownerOf = (s: V1EndpointSlice | undefined): string | undefined => {
  const owner = s?.metadata?.labels?.[serviceNameLabel];
  return owner === undefined ? undefined : `${s?.metadata?.namespace ?? ''}/${owner}`;
};

export class NodeAddressCaches {
  readonly nodes: Reflector<V1Node>;
  readonly #o: NodeAddressCacheOptions;
  #slices: Reflector<V1EndpointSlice> | undefined;
  /** Service key → its slices by slice key. */
  readonly #byService = new Map<string, Map<string, V1EndpointSlice>>();
  #addressIndex: Map<string, string> | undefined;

  constructor(o: NodeAddressCacheOptions) {
    this.#o = o;
    this.nodes = new Reflector<V1Node>({
      resource: 'nodes',
      path: '/api/v1/nodes',
      watcher: o.watcher,
      log: o.log,
      backoff: o.backoff,
      list: (page) => o.api.list<V1Node>('/api/v1/nodes', page),
      transform: slimNode,
      onChange: (changes) => {
        if (!changes.some((c) => nodeChanged(c.previous, c.current))) return;
        this.#addressIndex = undefined;
        o.onNodes();
      },
      onError: (verb) => o.onError('nodes', verb),
    });
  }

  /** Whether EndpointSlices are watched now (a configuration with a node-address pool, while leading). */
  get watchingSlices(): boolean {
    return this.#slices !== undefined;
  }

  /** Starts or stops the EndpointSlice watch; stopping frees the cache. */
  watchSlices(on: boolean): void {
    if (on === (this.#slices !== undefined)) return;
    if (!on) {
      this.#slices?.stop();
      this.#slices = undefined;
      this.#byService.clear();
      return;
    }
    const o = this.#o;
    const slices = new Reflector<V1EndpointSlice>({
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      watcher: o.watcher,
      log: o.log,
      backoff: o.backoff,
      list: (page) => o.api.list<V1EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', page),
      transform: slimEndpointSlice,
      onChange: (changes) => this.#indexSlices(slices, changes),
      onError: (verb) => o.onError('endpointslices', verb),
    });
    this.#slices = slices;
    slices.start();
    void slices.whenSynced().then(() => {
      if (slices === this.#slices) o.onSlices([], true);
    });
  }

  #indexSlices(from: Reflector<V1EndpointSlice>, changes: readonly Change<V1EndpointSlice>[]): void {
    if (from !== this.#slices) return; // a stopped watch's last words
    const touched = new Set<string>();
    for (const c of changes) {
      const before = ownerOf(c.previous);
      const after = ownerOf(c.current);
      if (before !== undefined) {
        this.#byService.get(before)?.delete(c.key);
        if (this.#byService.get(before)?.size === 0) this.#byService.delete(before);
        touched.add(before);
      }
      if (after !== undefined && c.current !== undefined) {
        let m = this.#byService.get(after);
        if (m === undefined) {
          m = new Map();
          this.#byService.set(after, m);
        }
        m.set(c.key, c.current);
        touched.add(after);
      }
    }
    this.#o.onSlices([...touched], false);
  }

  /** The Service's slices; undefined while they are not watched or not synced yet. */
  slicesOf(service: string): V1EndpointSlice[] | undefined {
    if (this.#slices === undefined || !this.#slices.synced) return undefined;
    return [...(this.#byService.get(service)?.values() ?? [])];
  }

  /** The Node that has ADDRESS (canonical text; any address type that is an IP), if any. */
  nodeOf(address: string): string | undefined {
    if (this.#addressIndex === undefined) {
      const index = new Map<string, string>();
      for (const n of this.nodes.values())
        for (const a of n.status?.addresses ?? []) {
          const ip = parseIp(a.address ?? '');
          if (ip !== undefined) index.set(formatIp(ip), n.metadata?.name ?? '');
        }
      this.#addressIndex = index;
    }
    return this.#addressIndex.get(address);
  }

  stop(): void {
    this.nodes.stop();
    this.watchSlices(false);
  }
}
