import { describe, expect, test } from '@jest/globals';
import type { V1SubjectAccessReview, V1TokenReview } from '@kubernetes/client-node';
import { FakeClock } from '../testing/fake-clock.ts';
import { KubeRequestAuthorizer } from './auth.ts';

/** An apiserver that knows two tokens and one RoleBinding: reader may get speakers/metrics. */
function fakeApis() {
  const tokenReviews: string[] = [];
  const accessReviews: V1SubjectAccessReview['spec'][] = [];
  const users: Record<string, { username: string; groups: string[] }> = {
    'token-reader': {
      username: 'system:serviceaccount:monitoring:prometheus',
      groups: ['system:serviceaccounts'],
    },
    'token-other': { username: 'system:serviceaccount:default:nobody', groups: ['system:serviceaccounts'] },
  };
  return {
    tokenReviews,
    accessReviews,
    api: {
      async create<T>(path: string, body: unknown): Promise<T> {
        if (path === '/apis/authentication.k8s.io/v1/tokenreviews') {
          const review = body as V1TokenReview;
          const token = review.spec.token!;
          tokenReviews.push(token);
          const user = users[token];
          const status = user ? { authenticated: true, user } : { authenticated: false };
          return { spec: review.spec, status } as T;
        }
        if (path === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
          const review = body as V1SubjectAccessReview;
          accessReviews.push(review.spec);
          const allowed =
            review.spec.user === 'system:serviceaccount:monitoring:prometheus' &&
            review.spec.resourceAttributes?.subresource === 'metrics';
          return { spec: review.spec, status: { allowed } } as T;
        }
        throw new Error(`unexpected POST ${path}`);
      },
    },
  };
}

const attribute = {
  group: 'herald.dev',
  resource: 'speakers',
  namespace: 'herald-system',
  name: 'herald-speaker',
};

describe('KubeRequestAuthorizer', () => {
  test('TokenReview then SubjectAccessReview on the resource attribute, the path as subresource', async () => {
    const apis = fakeApis();
    const a = new KubeRequestAuthorizer({ ...apis, attribute, clock: new FakeClock() });
    expect(await a.authorize(undefined, 'metrics')).toMatchObject({ allowed: false, status: 401 });
    expect(await a.authorize('forged', 'metrics')).toMatchObject({ allowed: false, status: 401 });
    expect(await a.authorize('token-reader', 'metrics')).toEqual({
      allowed: true,
      user: 'system:serviceaccount:monitoring:prometheus',
    });
    expect(await a.authorize('token-reader', 'status')).toEqual({
      allowed: false,
      status: 403,
      reason:
        'Forbidden: system:serviceaccount:monitoring:prometheus may not get speakers/status (group herald.dev) named herald-speaker in namespace herald-system',
    });
    expect(apis.accessReviews[0]).toEqual({
      user: 'system:serviceaccount:monitoring:prometheus',
      groups: ['system:serviceaccounts'],
      resourceAttributes: {
        verb: 'get',
        group: 'herald.dev',
        resource: 'speakers',
        subresource: 'metrics',
        namespace: 'herald-system',
        name: 'herald-speaker',
      },
    });
  });

  test('answers are cached (allowed longer than denied) and expire', async () => {
    const apis = fakeApis();
    const clock = new FakeClock();
    const a = new KubeRequestAuthorizer({ ...apis, attribute, clock, allowTtlMs: 60_000, denyTtlMs: 10_000 });
    for (let i = 0; i < 5; i++) await a.authorize('token-reader', 'metrics');
    await a.authorize('forged', 'metrics');
    await a.authorize('forged', 'metrics');
    expect(apis.tokenReviews).toEqual(['token-reader', 'forged']);
    expect(apis.accessReviews).toHaveLength(1);
    clock.advance(10_000);
    await a.authorize('forged', 'metrics');
    await a.authorize('token-reader', 'metrics');
    expect(apis.tokenReviews).toEqual(['token-reader', 'forged', 'forged']);
    clock.advance(50_000);
    await a.authorize('token-reader', 'metrics');
    expect(apis.tokenReviews).toHaveLength(4);
    expect(apis.accessReviews).toHaveLength(2);
  });

  test('the caches are bounded: a flood of random tokens evicts the oldest, memory stays flat', async () => {
    const apis = fakeApis();
    const a = new KubeRequestAuthorizer({ ...apis, attribute, clock: new FakeClock(), maxEntries: 8 });
    await a.authorize('token-reader', 'metrics');
    for (let i = 0; i < 100; i++) await a.authorize(`junk-${i}`, 'metrics');
    await a.authorize('token-reader', 'metrics');
    // The reader's entry was evicted by the flood and asked again: the cache held at most 8.
    expect(apis.tokenReviews.filter((t) => t === 'token-reader')).toHaveLength(2);
  });
});
