import { TcpMd5Key } from '@herald/bgp';
import { describe, expect, test } from '@jest/globals';
import { passwordFromSecret, samePassword } from './peer-password.ts';
import { passwordEvent } from './sessions/bgp-driver.ts';

const source = { namespace: 'herald', name: 'bgp-auth', key: 'password' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('passwordFromSecret: what an operator reads, for each way a Secret can fail', () => {
  test('a readable key is the TCP-MD5 key, byte for byte', () => {
    const p = passwordFromSecret(source, {
      kind: 'read',
      data: { password: b64('s3cret'), other: b64('x') },
    });
    expect(p).toEqual({ state: 'ready', key: expect.any(TcpMd5Key), source: 'herald/bgp-auth key password' });
    if (p.state === 'ready') expect(p.key.bytes.toString()).toBe('s3cret');
  });

  test('a trailing newline is kept (it is part of the key) and pointed out', () => {
    const p = passwordFromSecret(source, { kind: 'read', data: { password: b64('s3cret\n') } });
    expect(p).toMatchObject({
      state: 'ready',
      note: 'the password in Secret herald/bgp-auth key "password" ends with a newline, which is part of the TCP-MD5 key (was the Secret made from a file?)',
    });
    if (p.state === 'ready') expect(p.key.length).toBe(7);
  });

  test.each([
    [{ kind: 'pending' } as const, 'secret-pending', 'waiting for the first read of Secret herald/bgp-auth'],
    [
      { kind: 'unreadable', status: 403, error: 'secrets "bgp-auth" is forbidden' } as const,
      'secret-unreadable',
      'the speaker may not read Secret herald/bgp-auth (403 Forbidden): the chart grants it exactly the Secrets the configuration names; with existingConfigMap, list them in rbac.speakerSecrets',
    ],
    [
      { kind: 'unreadable', status: undefined, error: 'connect ECONNREFUSED 127.0.0.1:6443' } as const,
      'secret-unreadable',
      'cannot read Secret herald/bgp-auth: connect ECONNREFUSED 127.0.0.1:6443',
    ],
    [{ kind: 'read', data: undefined } as const, 'secret-not-found', 'Secret herald/bgp-auth does not exist'],
    [
      { kind: 'read', data: { user: b64('u'), pass: b64('p') } } as const,
      'key-not-found',
      'Secret herald/bgp-auth has no key "password" (its keys: pass, user)',
    ],
    [
      { kind: 'read', data: { password: '' } } as const,
      'invalid-password',
      'the password in Secret herald/bgp-auth key "password" is empty',
    ],
    [
      { kind: 'read', data: { password: b64('x'.repeat(81)) } } as const,
      'invalid-password',
      `the password in Secret herald/bgp-auth key "password" has 81 bytes; a TCP-MD5 key has at most 80 (the kernel's TCP_MD5SIG_MAXKEYLEN)`,
    ],
  ])('%j is blocked: %s', (secret, problem, message) => {
    expect(passwordFromSecret(source, secret)).toEqual({
      state: 'blocked',
      source: 'herald/bgp-auth key password',
      problem,
      message,
    });
  });
});

describe('which changes restart a session, and which deserve an Event', () => {
  const ready = (v: string) => passwordFromSecret(source, { kind: 'read', data: { password: b64(v) } });
  const missing = passwordFromSecret(source, { kind: 'read', data: undefined });
  const pending = passwordFromSecret(source, { kind: 'pending' });

  test('samePassword: equal keys are the same session; a new key or a fixed problem is not', () => {
    expect(samePassword(ready('a'), ready('a'))).toBe(true);
    expect(samePassword(ready('a'), ready('b'))).toBe(false);
    expect(samePassword(missing, missing)).toBe(true);
    expect(samePassword(missing, ready('a'))).toBe(false);
    expect(samePassword({ state: 'none' }, { state: 'none' })).toBe(true);
  });

  test('passwordEvent', () => {
    expect(passwordEvent('tor', undefined, pending)).toBeUndefined();
    expect(passwordEvent('tor', pending, ready('a'))).toBeUndefined();
    expect(passwordEvent('tor', undefined, missing)).toEqual({
      peer: 'tor',
      type: 'unavailable',
      message:
        'peer tor: Secret herald/bgp-auth does not exist; its BGP session stays down until the password can be used (it never runs without it)',
    });
    expect(passwordEvent('tor', missing, missing)).toBeUndefined();
    expect(passwordEvent('tor', ready('a'), ready('b'))).toEqual({
      peer: 'tor',
      type: 'changed',
      message:
        "peer tor: the TCP-MD5 password in Secret herald/bgp-auth key password changed; only this peer's session restarts, with the new password",
    });
    expect(passwordEvent('tor', ready('a'), ready('a'))).toBeUndefined();
    expect(passwordEvent('tor', missing, ready('a'))?.message).toBe(
      'peer tor: the TCP-MD5 password in Secret herald/bgp-auth key password can be used again; the session starts with it',
    );
  });
});
