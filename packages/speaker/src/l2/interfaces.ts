// This node's network interfaces, and which of them an l2Advertisement selects. Reading them is the only
// I/O here (listInterfaces); the choice is a pure function.
import { readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { matchesInterfacePattern } from '@herald/config';
import { canonicalAddress } from '@herald/inet';
import type { L2AdvertisementView } from '../announce/model.ts';

export interface SystemInterface {
  readonly name: string;
  /** Its IP addresses (canonical text), possibly none. */
  readonly addresses: readonly string[];
}

/**
 * Every interface of the network namespace this process runs in (the host's, for the hostNetwork speaker):
 * the names from /sys/class/net (interfaces without an address too), addresses from getifaddrs(3).
 */
export function listInterfaces(): SystemInterface[] {
  const addresses = new Map<string, string[]>();
  for (const [name, list] of Object.entries(networkInterfaces()))
    addresses.set(
      name,
      (list ?? []).map((a) => canonicalAddress(a.address.split('%')[0]!) ?? a.address),
    );
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = [...addresses.keys()]; // no sysfs (unusual): the interfaces that have an address
  }
  return names.sort().map((name) => ({ name, addresses: addresses.get(name) ?? [] }));
}

/**
 * The interfaces `ad` selects on this node: its `interfaces` as named (a missing one is kept, so the
 * engine reports it instead of silently answering nowhere); else those matching `interfacePatterns`
 * (loopback never); else the interfaces holding one of the node's own addresses (its InternalIP).
 */
export function interfacesFor(
  ad: L2AdvertisementView,
  available: readonly SystemInterface[],
  nodeAddresses: readonly string[],
): string[] {
  if (ad.interfaces.length > 0) return [...ad.interfaces];
  if (ad.interfacePatterns.length > 0)
    return available
      .filter((i) => i.name !== 'lo' && ad.interfacePatterns.some((p) => matchesInterfacePattern(p, i.name)))
      .map((i) => i.name);
  const own = new Set(nodeAddresses.map((a) => canonicalAddress(a) ?? a));
  return available.filter((i) => i.name !== 'lo' && i.addresses.some((a) => own.has(a))).map((i) => i.name);
}
