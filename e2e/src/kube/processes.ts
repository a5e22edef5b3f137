// Child processes and temp dirs of the test bed, and the guarantees that none outlive the test run:
// - every child is spawned through `setpriv --pdeathsig KILL` (when available), so the kernel kills it
//   if the process that spawned it dies for any reason, SIGKILL included;
// - a reaper process (reaper.ts) learns every tracked pid and temp dir and, when the test process is
//   gone (crash, SIGKILL, or a test that never called stop()), kills and removes what is left;
// - a process 'exit' hook does the same synchronously where `process` is the real one (plain node, e.g.
//   the lab). Under jest it never fires: jest hands tests a copy of `process`, hence the reaper;
// - every temp dir is named after the owning pid and lists its children's pids, so a later run sweeps
//   dirs (and any stray children) whose owner is gone, should even the reaper have been killed.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopOptions {
  /** First signal to send; SIGTERM by default. SIGKILL simulates a crash. */
  signal?: NodeJS.Signals;
  /** How long to wait after the first signal before SIGKILL (ms). */
  graceMs?: number;
}

/**
 * A tracked child. It does not keep the Node process alive (unref'd) so a leaked one cannot hang jest;
 * a long-running program (the lab) must hold its own handle (e.g. wait for SIGINT) while children run.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** The child's stdout when spawned with `stdout: 'pipe'`. */
  readonly stdout: Readable | null;
  /** The child's stdin when spawned with `stdin: 'pipe'` (commands to a helper process). */
  readonly stdin: Writable | null;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Set once the process has exited. */
  exitInfo(): ExitInfo | undefined;
  /** Signal, wait up to graceMs, then SIGKILL; resolves after the process is gone. Idempotent. */
  stop(opts?: StopOptions): Promise<ExitInfo>;
  /** The last lines of the process's log file (stdout and stderr). */
  logTail(lines?: number): string;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  logPath: string;
  /** Directory whose `pids/` subdirectory records this child for the stale sweep. */
  ownerDir?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** 'pipe' keeps stdout readable (e.g. for a readiness line); stderr always goes to the log. */
  stdout?: 'log' | 'pipe';
  /** 'pipe' gives the test a stdin to write to; default: none. */
  stdin?: 'ignore' | 'pipe';
}

const liveProcesses = new Set<ManagedProcess>();
const liveDirs = new Set<string>();
const TEMP_PREFIX = 'herald-kube-';

let exitHookInstalled = false;
function onProcessExit(): void {
  for (const p of liveProcesses) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}

let reaper: ChildProcess | undefined;
const REAPER = new URL('./reaper.ts', import.meta.url).pathname;
function tellReaper(
  message: { op: 'pid' | 'unpid'; pid: number } | { op: 'dir' | 'undir'; path: string },
): void {
  if (!reaper) {
    if (message.op === 'unpid' || message.op === 'undir') return;
    // Not through setpriv: the reaper must outlive us. Its own session keeps terminal signals away.
    reaper = spawn(process.execPath, [REAPER], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    reaper.on('error', () => {
      reaper = undefined; // the exit hook and the stale sweep remain
    });
    reaper.stdin?.on('error', () => {}); // EPIPE if it could not start: same fallback
    // Neither the reaper nor the pipe to it may keep the test process alive.
    reaper.unref();
    (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  reaper.stdin?.write(`${JSON.stringify(message)}\n`);
}

// Both are installed only while something is tracked, so many test files in one jest process pile up
// neither 'exit' listeners nor reaper processes.
function syncExitHooks(): void {
  const needed = liveProcesses.size > 0 || liveDirs.size > 0;
  if (needed && !exitHookInstalled) process.on('exit', onProcessExit);
  if (!needed && exitHookInstalled) process.off('exit', onProcessExit);
  exitHookInstalled = needed;
  if (!needed && reaper) {
    reaper.stdin?.end(); // nothing left to reap: it exits
    reaper = undefined;
  }
}

/** Resolves a command name against PATH; undefined when not found or not executable. */
export function which(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

let setprivPath: string | null | undefined;
function pdeathsigPrefix(): string[] {
  if (setprivPath === undefined) setprivPath = which('setpriv') ?? null;
  return setprivPath ? [setprivPath, '--pdeathsig', 'KILL', '--'] : [];
}

/** Spawns a child whose output goes to logPath and which is tracked until it exits. */
export async function spawnManaged(opts: SpawnOptions): Promise<ManagedProcess> {
  const [command, ...args] = [...pdeathsigPrefix(), opts.command, ...opts.args] as [string, ...string[]];
  const logFd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      stdio: [opts.stdin ?? 'ignore', opts.stdout === 'pipe' ? 'pipe' : logFd, logFd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: false,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    throw new Error(`cannot start ${opts.name} (${opts.command}): ${(err as Error).message}`);
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  const pid = child.pid!;
  // A running child does not keep this Node process alive: a test that forgets stop() must not hang
  // jest forever (the child then dies with us, see above). stop() re-references it while it waits.
  child.unref();
  (child.stdout as (Readable & { unref?: () => void }) | null)?.unref?.();
  (child.stdin as (Writable & { unref?: () => void }) | null)?.unref?.();
  child.stdin?.on('error', () => undefined); // EPIPE once the child is gone
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      liveProcesses.delete(managed);
      tellReaper({ op: 'unpid', pid });
      syncExitHooks();
      if (opts.ownerDir) rmSync(join(opts.ownerDir, 'pids', String(pid)), { force: true });
      resolve(info);
    });
  });
  let stopping: Promise<ExitInfo> | undefined;
  const managed: ManagedProcess = {
    name: opts.name,
    pid,
    logPath: opts.logPath,
    stdout: child.stdout,
    stdin: child.stdin,
    exited,
    exitInfo: () => info,
    stop: (stopOpts = {}) => {
      if (info) return Promise.resolve(info);
      stopping ??= (async () => {
        const graceMs = stopOpts.graceMs ?? 10_000;
        child.ref();
        child.kill(stopOpts.signal ?? 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), graceMs);
        });
        const first = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (first === 'timeout') child.kill('SIGKILL');
        return exited;
      })();
      return stopping;
    },
    logTail: (lines = 40) => tailOfFile(opts.logPath, lines),
  };
  liveProcesses.add(managed);
  tellReaper({ op: 'pid', pid });
  syncExitHooks();
  if (opts.ownerDir) {
    mkdirSync(join(opts.ownerDir, 'pids'), { recursive: true });
    writeFileSync(join(opts.ownerDir, 'pids', String(pid)), `${opts.name}\n`);
  }
  return managed;
}

export function tailOfFile(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Pids of tracked children that are still running. */
export function trackedPids(): number[] {
  return [...liveProcesses].map((p) => p.pid);
}

/** State and start time (clock ticks since boot) from /proc/PID/stat; undefined when there is no such pid. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    // "PID (COMM) STATE ...": COMM may contain spaces and parentheses; the start time is field 22.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** True when a process with this pid runs (a zombie, dead but not yet reaped, counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/**
 * The start time of a running pid, undefined when it is gone (or a zombie). A recorded (pid, start) pair
 * names one process: a recycled pid has another start time.
 */
export function processStart(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat && stat.state !== 'Z' ? stat.start : undefined;
}

/** A fresh temp dir `herald-kube-<pid>-XXXXXX`, removed on process exit unless removed before. */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  liveDirs.add(dir);
  tellReaper({ op: 'dir', path: dir });
  syncExitHooks();
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  tellReaper({ op: 'undir', path: dir });
  syncExitHooks();
}

/**
 * Removes temp dirs left by runs whose owner process is gone (e.g. SIGKILLed jest), first killing any
 * child recorded in the dir that is still running. A pid is only killed when its command line mentions
 * the dir, so a recycled pid of an unrelated process is never touched.
 */
export function sweepStaleTempDirs(): string[] {
  const swept: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return swept;
  }
  for (const entry of entries) {
    const owner = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(entry);
    if (!owner || pidAlive(Number(owner[1]))) continue;
    const dir = join(tmpdir(), entry);
    let pids: string[] = [];
    try {
      pids = readdirSync(join(dir, 'pids'));
    } catch {
      // no children recorded
    }
    for (const pid of pids) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes(dir)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}
