// Reading Kubernetes API answers the same way everywhere in the test bed.
import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, or undefined for any other error. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

/** For `.catch(ignoreConflict)` after a create: 409 AlreadyExists is fine, anything else is rethrown. */
export function ignoreConflict(err: unknown): void {
  if (apiStatus(err) !== 409) throw err;
}

/** The object, or undefined when the apiserver answers 404. */
export async function orNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}
