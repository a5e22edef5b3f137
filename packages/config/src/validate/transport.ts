// peers: how a session's TCP connection is protected and where it goes: the TCP-MD5 password (from a
// Secret, never from the ConfigMap), GTSM, eBGP multihop against GTSM, the interface or VRF it is bound to.
// The rules of the numbers and names are @herald/inet's (shared with the BGP library and heraldctl). Also the
// one check that depends on the machine, not the document: these settings need the native socket layer.
import { interfaceNameProblem } from '@herald/inet';
import type { Path } from '../path.ts';
import type { ConfigError, HeraldConfig } from '../types.ts';
import { type Ctx, err, field, str } from './context.ts';

/** Kubernetes object names: an RFC 1123 DNS subdomain. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Keys of a Secret's data (validation.IsConfigMapKey). */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

const IN_CONFIGMAP =
  "a password here would be readable by everyone who can read ConfigMaps; put it in a Secret in Herald's namespace and refer to it with passwordSecretRef: {name, key}";

const set = (v: unknown): boolean => v !== undefined && v !== null;

export function checkTransport(ctx: Ctx, peer: unknown, p: Path): void {
  if (set(field(peer, 'password'))) err(ctx, [...p, 'password'], IN_CONFIGMAP);
  const ref = field(peer, 'passwordSecretRef');
  const name = str(field(ref, 'name'));
  if (name !== undefined && name !== '' && (name.length > 253 || !SUBDOMAIN.test(name)))
    err(
      ctx,
      [...p, 'passwordSecretRef', 'name'],
      `"${name}" is not a Secret name (lower-case letters, digits, "-" and ".", at most 253 characters)`,
    );
  const key = str(field(ref, 'key'));
  if (key !== undefined && key !== '' && (key.length > 253 || !DATA_KEY.test(key)))
    err(
      ctx,
      [...p, 'passwordSecretRef', 'key'],
      `"${key}" is not a key of a Secret's data (letters, digits, "-", "_" and ".")`,
    );
  const multihop = field(peer, 'ebgpMultihop');
  if (field(peer, 'ttlSecurity') === true && set(multihop))
    err(
      ctx,
      [...p, 'ebgpMultihop'],
      'cannot be combined with ttlSecurity: GTSM (RFC 5082) accepts only a directly connected router, and multihop is for routers further away; use one or the other',
    );
  const device = str(field(peer, 'bindInterface'));
  const problem = device === undefined ? undefined : interfaceNameProblem(device);
  if (problem !== undefined) err(ctx, [...p, 'bindInterface'], `"${device}" ${problem}`);
}

/** The settings that need socket options node:net cannot set, by field name, for one validated peer. */
export function nativeSocketFields(peer: HeraldConfig['peers'][number]): string[] {
  const fields: string[] = [];
  if (peer.passwordSecretRef !== undefined) fields.push('passwordSecretRef');
  if (peer.ttlSecurity) fields.push('ttlSecurity');
  if (peer.ebgpMultihop !== undefined) fields.push('ebgpMultihop');
  if (peer.bindInterface !== undefined) fields.push('bindInterface');
  return fields;
}

/**
 * Errors for a machine where the native socket layer cannot load (`reason` from its probe): a valid config
 * that asks for TCP-MD5, GTSM, multihop TTL or interface binding cannot be applied there, and nothing may
 * run weaker than configured. The speaker rejects such a config as a whole (the last good one stays).
 */
export function nativeSocketErrors(config: HeraldConfig, reason: string): ConfigError[] {
  return config.peers.flatMap((peer, i) =>
    nativeSocketFields(peer).map((f) => ({
      path: `peers[${i}].${f}`,
      message: `needs native socket support (TCP-MD5, TTL and device options), which cannot load on this node: ${reason}`,
    })),
  );
}
