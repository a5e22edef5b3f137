import { describe, expect, test } from '@jest/globals';
import { KubeApiError } from './api/client.ts';
import { describeApiError } from './api-error.ts';

describe('describeApiError', () => {
  const message =
    'services "web" is forbidden: User "system:serviceaccount:x:y" cannot patch resource "services"';

  test('a KubeApiError becomes status code and the apiserver message; not the verb, path or body', () => {
    const err = new KubeApiError(
      'PATCH',
      '/api/v1/namespaces/x/services/web',
      403,
      'Forbidden',
      message,
      message,
    );
    expect(describeApiError(err)).toBe(`HTTP 403: ${message}`);
  });

  test('a body that was no Status (a proxy page) is never copied', () => {
    const err = new KubeApiError('GET', '/x', 502, undefined, '<html>bad gateway session=secret</html>');
    expect(err.message).toContain('secret'); // what printing the error itself would log
    expect(describeApiError(err)).toBe('HTTP 502');
  });

  test('network errors keep their cause; long messages are clipped', () => {
    const err = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:6443') });
    expect(describeApiError(err)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:6443');
    expect(describeApiError(new Error('x'.repeat(1000)))).toHaveLength(301);
    const long = new KubeApiError('GET', '/x', 500, 'InternalError', 'y'.repeat(1000), 'y'.repeat(1000));
    expect(describeApiError(long)).toHaveLength('HTTP 500: '.length + 301);
  });
});
