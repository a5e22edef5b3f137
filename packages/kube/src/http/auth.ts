// Who may read a program's /metrics and /status, decided by the apiserver the way kube-rbac-proxy does it: the
// request's bearer token is checked with a TokenReview (authentication.k8s.io/v1), the user it names with a
// SubjectAccessReview (authorization.k8s.io/v1) against a resource attribute — verb `get` on
// `<group>/<resource>/<subresource>` named `<name>` in `<namespace>`, the subresource being the path
// (`metrics`, `status`). So access is granted with ordinary RBAC (a Role in the release namespace), and
// /status, which lists peers and prefixes, can be granted separately from /metrics.
//
// Answers are cached briefly (kube-rbac-proxy and the kubelet do the same), keyed by a hash of the token, so a
// scrape every 15 s costs the apiserver nothing after the first and no token is kept in memory. The caches
// are bounded: tokens are attacker-chosen.

import { createHash } from 'node:crypto';
import type { V1SubjectAccessReview, V1TokenReview, V1UserInfo } from '@kubernetes/client-node';
import type { KubeClient } from '../api/client.ts';
import { type Clock, realClock } from '../clock.ts';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export type AuthorizationDecision =
  | { readonly allowed: true; readonly user: string }
  | { readonly allowed: false; readonly status: 401 | 403; readonly reason: string };

/** Decides one request: the bearer token (undefined when none was sent) and the path's name (`metrics`). */
export interface RequestAuthorizer {
  authorize(token: string | undefined, path: string): Promise<AuthorizationDecision>;
}

/** The resource attribute requests are checked against (the path becomes the subresource). */
export interface ResourceAttribute {
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

export interface KubeRequestAuthorizerOptions {
  /** Creates the TokenReviews and SubjectAccessReviews (POST; the answer is the review with its status). */
  readonly api: Pick<KubeClient, 'create'>;
  readonly attribute: ResourceAttribute;
  readonly clock?: Clock;
  /** How long an answer is reused: allowed / authenticated (default 60 s), denied (default 10 s). */
  readonly allowTtlMs?: number;
  readonly denyTtlMs?: number;
  /** Entries per cache (default 512); the oldest is dropped first. */
  readonly maxEntries?: number;
}

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/** A Map with a size bound and expiry: insertion order is age order, so the first key is the oldest. */
class ExpiringCache<T> {
  readonly #entries = new Map<string, Cached<T>>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  get(key: string, now: number): T | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: T, until: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, until });
  }
}

type Authenticated = { readonly ok: true; readonly user: V1UserInfo } | { readonly ok: false };

export class KubeRequestAuthorizer implements RequestAuthorizer {
  readonly #o: KubeRequestAuthorizerOptions;
  readonly #clock: Clock;
  readonly #tokens: ExpiringCache<Authenticated>;
  readonly #reviews: ExpiringCache<boolean>;

  constructor(options: KubeRequestAuthorizerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#tokens = new ExpiringCache(options.maxEntries ?? 512);
    this.#reviews = new ExpiringCache(options.maxEntries ?? 512);
  }

  async authorize(token: string | undefined, path: string): Promise<AuthorizationDecision> {
    if (token === undefined)
      return {
        allowed: false,
        status: 401,
        reason: 'Unauthorized: send a bearer token (Authorization: Bearer …)',
      };
    const who = await this.#authenticate(token);
    if (!who.ok) return { allowed: false, status: 401, reason: 'Unauthorized: the token was not accepted' };
    const user = who.user.username ?? '';
    const a = this.#o.attribute;
    const key = JSON.stringify([user, who.user.groups ?? [], path]);
    const now = this.#clock.now();
    let allowed = this.#reviews.get(key, now);
    if (allowed === undefined) {
      const body: V1SubjectAccessReview = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user,
          groups: who.user.groups,
          uid: who.user.uid,
          extra: who.user.extra,
          resourceAttributes: {
            verb: 'get',
            group: a.group,
            resource: a.resource,
            subresource: path,
            namespace: a.namespace,
            name: a.name,
          },
        },
      };
      const review = await this.#o.api.create<V1SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, body);
      allowed = review.status?.allowed === true;
      this.#reviews.set(key, allowed, now + (allowed ? this.#allowTtl : this.#denyTtl));
    }
    if (allowed) return { allowed: true, user };
    return {
      allowed: false,
      status: 403,
      reason: `Forbidden: ${user} may not get ${a.resource}/${path} (group ${a.group}) named ${a.name} in namespace ${a.namespace}`,
    };
  }

  get #allowTtl(): number {
    return this.#o.allowTtlMs ?? 60_000;
  }

  get #denyTtl(): number {
    return this.#o.denyTtlMs ?? 10_000;
  }

  async #authenticate(token: string): Promise<Authenticated> {
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.#clock.now();
    const cached = this.#tokens.get(key, now);
    if (cached !== undefined) return cached;
    const body: V1TokenReview = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    };
    const review = await this.#o.api.create<V1TokenReview>(TOKEN_REVIEWS, body);
    const user = review.status?.user;
    const result: Authenticated =
      review.status?.authenticated === true && user?.username ? { ok: true, user } : { ok: false };
    this.#tokens.set(key, result, now + (result.ok ? this.#allowTtl : this.#denyTtl));
    return result;
  }
}
