/**
 * The one spelling of an address family in Herald's own types: 'ipv4' | 'ipv6' (BGP's AFI names, RFC 4760,
 * and the `family` label of the speaker's metrics). Kubernetes spells the same thing 'IPv4' | 'IPv6'
 * (core/v1 IPFamily in `spec.ipFamilies`, EndpointSlice `addressType`); that spelling is kept only where
 * Herald reads or writes the Kubernetes API, and in messages for people, and converted here at that edge.
 */

export type Family = 'ipv4' | 'ipv6';

/** Address width in bits: the longest prefix of the family. */
export const familyBits: { readonly ipv4: 32; readonly ipv6: 128 } = { ipv4: 32, ipv6: 128 };

export const families: readonly Family[] = ['ipv4', 'ipv6'];

export function maxLength(family: Family): 32 | 128 {
  return familyBits[family];
}

/** Kubernetes' spelling (core/v1 IPFamily), which is also how messages for people name a family. */
export type IPFamily = 'IPv4' | 'IPv6';

export function toIPFamily(family: Family): IPFamily {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

/** A value read from the Kubernetes API (`spec.ipFamilies[i]`); undefined for anything else. */
export function fromIPFamily(value: unknown): Family | undefined {
  return value === 'IPv4' ? 'ipv4' : value === 'IPv6' ? 'ipv6' : undefined;
}
