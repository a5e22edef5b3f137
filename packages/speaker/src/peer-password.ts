// The TCP-MD5 password of a peer, as the speaker resolved it from the Secret the peer names: ready (a key),
// blocked (why not, in words for /status, Events and logs, and as a short reason for metrics), or none. The
// key itself is a TcpMd5Key, which never prints. A session is opened only with a ready password: nothing runs
// without the password it is configured with.
import { TcpMd5Key } from '@herald/bgp';
import { tcpMd5KeyProblem } from '@herald/inet';

/** Why a configured password cannot be used (the `reason` label of herald_speaker_session_blocked). */
export type PasswordProblem =
  /** The Secret has not been read yet (the first list is in flight). */
  | 'secret-pending'
  /** Reading the Secret failed (403 without RBAC for it, apiserver down before the first read). */
  | 'secret-unreadable'
  | 'secret-not-found'
  | 'key-not-found'
  /** The value is empty or longer than 80 bytes. */
  | 'invalid-password';

export type PeerPassword =
  | { readonly state: 'none' }
  | {
      readonly state: 'ready';
      readonly key: TcpMd5Key;
      /** `namespace/name key k`, for status and Events. */
      readonly source: string;
      /** Something worth knowing about the value that does not stop it from being used. */
      readonly note?: string;
    }
  | {
      readonly state: 'blocked';
      readonly source: string;
      readonly problem: PasswordProblem;
      readonly message: string;
    };

export const NO_PASSWORD: PeerPassword = { state: 'none' };

/** Whether two resolutions need the same session (a changed key restarts it; so does a fixed problem). */
export function samePassword(a: PeerPassword, b: PeerPassword): boolean {
  if (a.state === 'ready' && b.state === 'ready') return a.key.equals(b.key) && a.source === b.source;
  if (a.state === 'blocked' && b.state === 'blocked') return a.problem === b.problem && a.source === b.source;
  return a.state === b.state;
}

/** What a Secret (or its absence, or the failure to read it) gives for one key. */
export function passwordFromSecret(
  source: { readonly namespace: string; readonly name: string; readonly key: string },
  secret:
    | { readonly kind: 'pending' }
    | { readonly kind: 'unreadable'; readonly status: number | undefined; readonly error: string }
    | { readonly kind: 'read'; readonly data: Readonly<Record<string, string>> | undefined },
): PeerPassword {
  const where = `Secret ${source.namespace}/${source.name}`;
  const label = `${source.namespace}/${source.name} key ${source.key}`;
  const blocked = (problem: PasswordProblem, message: string): PeerPassword => ({
    state: 'blocked',
    source: label,
    problem,
    message,
  });
  switch (secret.kind) {
    case 'pending':
      return blocked('secret-pending', `waiting for the first read of ${where}`);
    case 'unreadable':
      return blocked(
        'secret-unreadable',
        secret.status === 403
          ? `the speaker may not read ${where} (403 Forbidden): the chart grants it exactly the Secrets the configuration names; with existingConfigMap, list them in rbac.speakerSecrets`
          : `cannot read ${where}: ${secret.error}`,
      );
    case 'read': {
      if (secret.data === undefined) return blocked('secret-not-found', `${where} does not exist`);
      const value = secret.data[source.key];
      if (value === undefined) {
        const keys = Object.keys(secret.data).sort();
        return blocked(
          'key-not-found',
          `${where} has no key "${source.key}" (its keys: ${keys.length > 0 ? keys.join(', ') : 'none'})`,
        );
      }
      const bytes = Buffer.from(value, 'base64');
      const problem = tcpMd5KeyProblem(bytes.length);
      if (problem !== undefined)
        return blocked('invalid-password', `the password in ${where} key "${source.key}" ${problem}`);
      const newline = bytes[bytes.length - 1] === 0x0a;
      return {
        state: 'ready',
        key: new TcpMd5Key(bytes),
        source: label,
        ...(newline
          ? {
              note: `the password in ${where} key "${source.key}" ends with a newline, which is part of the TCP-MD5 key (was the Secret made from a file?)`,
            }
          : {}),
      };
    }
  }
}
