// Where the Go-built control-plane binaries live (see e2e/testbin/ensure.sh, which builds them).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type TestbinName = 'kube-apiserver' | 'etcd' | 'helm' | 'kubectl' | 'kube-proxy';

/** $HERALD_TESTBIN_DIR, else ensure.sh's default cache dir. */
export function testbinDir(): string {
  return (
    process.env.HERALD_TESTBIN_DIR ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'herald', 'testbin')
  );
}

export function testbinPath(name: TestbinName, dir = testbinDir()): string {
  return join(dir, name);
}

/** The Kubernetes release the kube-apiserver wrapper module pins (e.g. "v1.37.2"). */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(new URL('../../testbin/kube/go.mod', import.meta.url), 'utf8');
  const match = /^require k8s\.io\/kubernetes (v\S+)/m.exec(goMod);
  if (!match) throw new Error('e2e/testbin/kube/go.mod does not require k8s.io/kubernetes');
  return match[1]!;
}

export const TESTBIN_HINT = 'build them with: bash e2e/testbin/ensure.sh';
