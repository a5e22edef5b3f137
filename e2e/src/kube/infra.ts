// One gate for every real-infrastructure test: does this machine have what the test needs (root,
// network namespaces, binaries)? Unprivileged developers get a clear skip message; scripts/test.sh sets
// HERALD_REQUIRE_PRIVILEGED=1 as root and in CI, where a missing piece is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { which } from './processes.ts';
import { TESTBIN_HINT, type TestbinName, testbinPath } from './testbin.ts';

export interface InfraRequirements {
  /** Needs uid 0. */
  root?: boolean;
  /** Needs to create network namespaces (implies root). */
  netns?: boolean;
  /**
   * Needed executables: 'kube-apiserver' | 'etcd' | 'helm' resolve in the test bed's cache dir; other
   * names resolve on PATH; absolute paths are checked as given (e.g. '/usr/lib/frr/bgpd').
   */
  binaries?: readonly string[];
}

export interface InfraCheck {
  ok: boolean;
  /** One human-readable line per missing piece. */
  missing: string[];
}

const TESTBIN_NAMES: readonly string[] = [
  'kube-apiserver',
  'etcd',
  'helm',
  'kube-proxy',
] satisfies TestbinName[];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let netnsProbe: string | undefined | null = null;
/** Creates and deletes a throwaway namespace once per process; undefined when that works. */
function netnsProblem(): string | undefined {
  if (netnsProbe !== null) return netnsProbe;
  const name = `herald-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error || add.status !== 0) {
    netnsProbe = `cannot create a network namespace (ip netns add: ${add.error?.message ?? add.stderr.trim()})`;
  } else {
    spawnSync('ip', ['netns', 'del', name]);
    netnsProbe = undefined;
  }
  return netnsProbe;
}

export function checkInfra(req: InfraRequirements): InfraCheck {
  const missing: string[] = [];
  const uid = process.getuid?.() ?? -1;
  if ((req.root || req.netns) && uid !== 0) missing.push(`root (running as uid ${uid})`);
  else if (req.netns) {
    const problem = netnsProblem();
    if (problem) missing.push(problem);
  }
  for (const bin of req.binaries ?? []) {
    if (TESTBIN_NAMES.includes(bin)) {
      const path = testbinPath(bin as TestbinName);
      if (!executable(path)) missing.push(`${bin} at ${path} (${TESTBIN_HINT})`);
    } else if (bin.includes('/') ? !executable(bin) : !which(bin)) {
      missing.push(`executable ${bin}`);
    }
  }
  return { ok: missing.length === 0, missing };
}

/**
 * True when the test may run. Otherwise logs why it is skipped and returns false — or, with
 * HERALD_REQUIRE_PRIVILEGED=1, throws: as root and in CI a skipped real-infrastructure test is a failure.
 *   describeWith({ netns: true, binaries: ['kube-apiserver', 'etcd'] }, 'speaker e2e', () => { ... });
 */
export function requireInfra(req: InfraRequirements, what = 'this test'): boolean {
  const { ok, missing } = checkInfra(req);
  if (ok) return true;
  const why = `${what} needs: ${missing.join('; ')}`;
  if (process.env.HERALD_REQUIRE_PRIVILEGED === '1') {
    throw new Error(
      `${why} — HERALD_REQUIRE_PRIVILEGED=1, so missing infrastructure is a failure, not a skip`,
    );
  }
  console.warn(`[herald e2e] SKIPPED ${why}`);
  return false;
}

/** `describe` when the machine has what the tests need, else `describe.skip` (a failure in CI): see requireInfra. */
export function describeWith(req: InfraRequirements, name: string, fn: () => void): void {
  (requireInfra(req, name) ? describe : describe.skip)(name, fn);
}
