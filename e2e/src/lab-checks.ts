// `npm run lab -- --once` runs the commands the lab prints, so the instructions are proven to work: each must
// exit 0 and show what the instructions promise. Shared by every lab mode (lab-cli.ts, lab-node-addresses.ts).
import { spawnSync } from 'node:child_process';
import { testbinPath } from './kube/index.ts';
import type { HeraldSystem } from './system/index.ts';

/** Runs argv; records a problem (with the output's tail) or reports NAME as checked. */
export function commandChecker(checked: (name: string) => void): {
  check: (name: string, argv: readonly string[], ok: (out: string) => boolean) => void;
  readonly problems: string[];
} {
  const problems: string[] = [];
  return {
    problems,
    check(name, argv, ok) {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
      const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
      if (r.status !== 0 || !ok(out))
        problems.push(`${name}: exit ${r.status}, output:\n${out.slice(-1500)}`);
      else checked(name);
    },
  };
}

/** argv of the test bed's kubectl against SYS's apiserver (admin), with ARGS. */
export function kubectlArgv(sys: HeraldSystem, ...args: string[]): string[] {
  return [testbinPath('kubectl'), '--kubeconfig', sys.cp.kubeconfigPath, ...args];
}
