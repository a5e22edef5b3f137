// Labs left behind by a test process that died without its teardown: SIGKILL, or jest interrupted (jest hands
// tests a copy of `process`, so lab.ts's 'exit' hook never fires there). A lab's namespaces (`hl<pid>x<n>-…`)
// and temp dir (`herald-hl<pid>x<n>-…`) carry its owner's pid, so createLab sweeps, before it builds a lab,
// those whose owner is gone: the router daemons and speakers still running inside, then the namespaces and
// dirs. Every process inside such a namespace was started by a lab, so nothing else is ever signalled.
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually.ts';
import { pidAlive } from '../kube/processes.ts';
import { run } from './exec.ts';
import { signal } from './process.ts';
import { deleteNamespace } from './topology.ts';

const NAMESPACE = /^hl(\d+)x\d+-/;
const TEMP_DIR = /^herald-hl(\d+)x\d+-/;

const ownerGone = (pattern: RegExp, name: string): boolean => {
  const owner = pattern.exec(name)?.[1];
  return owner !== undefined && !pidAlive(Number(owner));
};

/** Removes every lab whose owner process is gone; returns the namespaces and dirs it removed. */
export async function sweepAbandonedLabs(): Promise<string[]> {
  // `ip netns list` prints "NAME" or "NAME (id: N)".
  const namespaces = (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((ns) => ownerGone(NAMESPACE, ns));
  const pids: number[] = [];
  for (const ns of namespaces) {
    const inside = (await run('ip', ['netns', 'pids', ns], { allowFailure: true })).stdout;
    pids.push(...inside.split(/\s+/).filter(Boolean).map(Number));
  }
  for (const pid of pids) {
    signal(pid, 'SIGCONT'); // a test may have left it stopped
    signal(pid, 'SIGKILL');
  }
  await eventually(
    `abandoned lab processes ${pids.join(', ')} to die`,
    () => pids.every((p) => !pidAlive(p)),
    {
      timeoutMs: 5000,
      intervalMs: 20,
    },
  );
  for (const ns of namespaces) await deleteNamespace(ns);
  const dirs = readdirSync(tmpdir())
    .filter((entry) => ownerGone(TEMP_DIR, entry))
    .map((entry) => join(tmpdir(), entry));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  return [...namespaces, ...dirs];
}
