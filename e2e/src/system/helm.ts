// The test bed's helm (built by e2e/testbin/ensure.sh): one runner for `helm template` / `lint` (no cluster)
// and `helm install` / `upgrade` / `get` (against a control plane). helm's own state (cache, config, data)
// goes to a directory of the caller's, never to the user's ~/.cache or ~/.config.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pinnedKubernetesVersion, testbinPath } from '../kube/index.ts';

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Helm {
  readonly #env: NodeJS.ProcessEnv;
  readonly #kubeconfig: string | undefined;

  /** HOME: helm's cache/config/data dir. KUBECONFIG: the cluster for install/upgrade/get (none: render only). */
  constructor(home: string, kubeconfig?: string) {
    this.#env = {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    };
    this.#kubeconfig = kubeconfig;
  }

  /** Runs helm; never throws on a non-zero exit (the caller inspects `status`). */
  exec(args: readonly string[]): HelmResult {
    const all = this.#kubeconfig ? [...args, '--kubeconfig', this.#kubeconfig] : [...args];
    const r = spawnSync(testbinPath('helm'), all, { encoding: 'utf8', env: this.#env, timeout: 120_000 });
    if (r.error) throw new Error(`cannot run helm ${args.join(' ')}: ${r.error.message}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs helm and returns its stdout; throws with helm's stderr on a non-zero exit. */
  run(args: readonly string[]): string {
    const r = this.exec(args);
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.status}:\n${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `helm template RELEASE CHART` for the pinned Kubernetes version, plus EXTRA (-n, -f, --set …). */
  templateArgs(release: string, chart: string, extra: readonly string[] = []): string[] {
    return ['template', release, chart, '--kube-version', pinnedKubernetesVersion(), ...extra];
  }
}
