// The local lab's crash-recovery record. `npm run lab` writes, as it creates them, every network namespace,
// process and temp dir into a state file; `npm run lab -- down` (or `bash scripts/lab.sh down`) reads the
// files and removes exactly what they list — never anything else:
// - a process is killed only if its start time (field 22 of /proc/PID/stat) still matches the recorded one,
//   so a recycled pid is never touched; processes found INSIDE a recorded namespace are ours by construction
//   (nothing else ever enters those namespaces), which also covers FRR's daemons started during a crash;
// - a namespace is deleted only if its name was recorded, or matches a recorded prefix `hl<lab pid>x` followed
//   by the lab harness's own suffixes (the harness names every namespace after the creating pid);
// - a directory is removed only if recorded, inside the system temp dir, and named herald-*.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { eventually } from '../eventually.ts';
import { processStart } from '../kube/index.ts';
import type { Created } from './system.ts';

export interface RecordedProcess {
  pid: number;
  /** Start time in clock ticks since boot; tells a recycled pid apart. */
  start: string;
  name: string;
}

export interface LabState {
  version: 1;
  /** The lab process itself. */
  lab: RecordedProcess;
  startedAt: string;
  namespaces: string[];
  namespacePrefixes: string[];
  dirs: string[];
  processes: RecordedProcess[];
}

/** Where state files live: $HERALD_LAB_STATE_DIR, else /run/herald-lab (tmpfs: gone after a reboot, like
 * the namespaces it describes), else the temp dir when /run is not writable. */
export function stateDir(): string {
  if (process.env.HERALD_LAB_STATE_DIR) return process.env.HERALD_LAB_STATE_DIR;
  try {
    mkdirSync('/run/herald-lab', { recursive: true });
    return '/run/herald-lab';
  } catch {
    return join(tmpdir(), 'herald-lab');
  }
}

function sameProcess(p: RecordedProcess): boolean {
  return processStart(p.pid) === p.start;
}

/** Appends to this lab's state file as things are created (atomic rewrite each time). */
export class LabStateWriter {
  readonly path: string;
  readonly #state: LabState;

  constructor(dir = stateDir()) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `lab-${process.pid}.json`);
    this.#state = {
      version: 1,
      lab: { pid: process.pid, start: processStart(process.pid) ?? '', name: 'lab' },
      startedAt: new Date().toISOString(),
      namespaces: [],
      namespacePrefixes: [],
      dirs: [],
      processes: [],
    };
    this.#flush();
  }

  record(thing: Created): void {
    const s = this.#state;
    if (thing.kind === 'netns' && !s.namespaces.includes(thing.name)) s.namespaces.push(thing.name);
    else if (thing.kind === 'netnsPrefix' && !s.namespacePrefixes.includes(thing.prefix))
      s.namespacePrefixes.push(thing.prefix);
    else if (thing.kind === 'dir' && !s.dirs.includes(thing.path)) s.dirs.push(thing.path);
    else if (thing.kind === 'pid') {
      const start = processStart(thing.pid);
      if (start !== undefined && !s.processes.some((p) => p.pid === thing.pid && p.start === start))
        s.processes.push({ pid: thing.pid, start, name: thing.name });
    }
    this.#flush();
  }

  state(): LabState {
    return structuredClone(this.#state);
  }

  /** After a clean shutdown: nothing left to recover. */
  remove(): void {
    rmSync(this.path, { force: true });
  }

  #flush(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.#state, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}

export function readStates(dir = stateDir()): Array<{ path: string; state: LabState }> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<{ path: string; state: LabState }> = [];
  for (const entry of entries.filter((e) => /^lab-\d+\.json$/.test(e)).sort()) {
    const path = join(dir, entry);
    try {
      out.push({ path, state: JSON.parse(readFileSync(path, 'utf8')) as LabState });
    } catch {
      // A torn write cannot happen (rename), so this is not ours to interpret: leave it.
    }
  }
  return out;
}

function liveNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

function namespacePids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1);
}

function ownedByPrefix(ns: string, prefixes: readonly string[]): boolean {
  // The lab harness names namespaces <prefix><n>-r, -c, -n<i> (e2e/src/lab/topology.ts).
  return prefixes.some((p) => ns.startsWith(p) && /^\d+-(r|c|n\d+)$/.test(ns.slice(p.length)));
}

async function killAndWait(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Best effort: a process that does not die within 5 s is reported as killed all the same.
  await eventually(
    'the killed processes to be gone',
    () => pids.every((pid) => processStart(pid) === undefined),
    {
      timeoutMs: 5_000,
      intervalMs: 20,
    },
  ).catch(() => undefined);
}

function safeDir(path: string): boolean {
  const abs = resolve(path);
  return dirname(abs) === resolve(tmpdir()) && basename(abs).startsWith('herald-');
}

export interface DownReport {
  stateFile: string;
  labWasRunning: boolean;
  killed: string[];
  namespaces: string[];
  dirs: string[];
}

/**
 * Cleans up after one recorded lab. A lab that is still running is asked to stop first (SIGTERM, its own
 * clean-up) and given STOP_GRACE_MS; whatever remains is then removed from the record.
 */
export async function downOne(path: string, state: LabState, stopGraceMs = 30_000): Promise<DownReport> {
  const report: DownReport = { stateFile: path, labWasRunning: false, killed: [], namespaces: [], dirs: [] };
  if (state.lab.pid !== process.pid && sameProcess(state.lab)) {
    report.labWasRunning = true;
    try {
      process.kill(state.lab.pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
    await eventually('the lab to stop', () => !sameProcess(state.lab), { timeoutMs: stopGraceMs }).catch(
      () => undefined,
    );
    if (sameProcess(state.lab)) {
      await killAndWait([state.lab.pid]);
      report.killed.push(`lab (pid ${state.lab.pid})`);
    }
  }

  const recorded = state.processes.filter(sameProcess);
  await killAndWait(recorded.map((p) => p.pid));
  report.killed.push(...recorded.map((p) => `${p.name} (pid ${p.pid})`));

  const namespaces = liveNamespaces().filter(
    (ns) => state.namespaces.includes(ns) || ownedByPrefix(ns, state.namespacePrefixes),
  );
  // Whatever still runs inside our namespaces (FRR's daemonized zebra/bgpd) is ours.
  for (const ns of namespaces) {
    const inside = namespacePids(ns).filter((pid) => pid !== process.pid);
    await killAndWait(inside);
    report.killed.push(...inside.map((pid) => `process in ${ns} (pid ${pid})`));
  }
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      report.namespaces.push(ns);
    } catch {
      // gone meanwhile
    }
  }
  for (const dir of state.dirs) {
    if (!safeDir(dir)) continue;
    try {
      readdirSync(dir);
    } catch {
      continue; // already gone
    }
    rmSync(dir, { recursive: true, force: true });
    report.dirs.push(dir);
  }
  rmSync(path, { force: true });
  return report;
}
