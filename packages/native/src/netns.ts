/**
 * Creating sockets inside another network namespace from this process: setns(2) switches only the calling
 * thread, a socket belongs for life to the namespace that was current at socket(2), and the event loop
 * watches fds whatever namespace they belong to. So `inNetworkNamespace('lab1', () => openUdpSocket(…))`
 * returns a socket that lives in `lab1` and is driven by this process as usual. Used by tests and lab
 * tools (Herald's programs run in the host namespace). Needs CAP_SYS_ADMIN.
 */
import { check, libc } from './libc.ts';
import { CLONE_NEWNET, O_CLOEXEC, O_RDONLY } from './linux.ts';

function openNamespace(path: string): number {
  return check(libc().open(path, O_RDONLY | O_CLOEXEC), `open("${path}")`);
}

/**
 * Runs `fn` with the calling thread in the named namespace (`ip netns` name, or a path such as
 * /proc/<pid>/ns/net) and switches back before returning, also when `fn` throws. `fn` must be synchronous:
 * after an await the thread is back in its own namespace.
 */
export function inNetworkNamespace<T>(namespace: string, fn: () => T): T {
  const path = namespace.includes('/') ? namespace : `/run/netns/${namespace}`;
  const c = libc();
  const own = openNamespace('/proc/thread-self/ns/net');
  try {
    const target = openNamespace(path);
    try {
      check(c.setns(target, CLONE_NEWNET), `setns("${path}")`);
    } finally {
      c.close(target);
    }
    let result: T;
    try {
      result = fn();
    } finally {
      // Staying in the wrong namespace would silently put every later socket of this thread there.
      check(c.setns(own, CLONE_NEWNET), 'setns(back to the original network namespace)');
    }
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as { then?: unknown }).then === 'function'
    ) {
      throw new TypeError(
        'inNetworkNamespace needs a synchronous function: sockets opened after an await are not in the namespace',
      );
    }
    return result;
  } finally {
    c.close(own);
  }
}
