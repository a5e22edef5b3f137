// Our speaker as an operator would run it: `heraldctl bgp announce …` inside a node namespace, via
// `ip netns exec NS <node> packages/cli/src/main.ts`. Its stdout is JSON lines (session events,
// NOTIFICATIONs); the handle collects them and lets a test wait for one.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry; HERALD_CLI_ENTRY overrides (e.g. a scratch entry while sibling commands are unfinished). */
export const CLI_ENTRY = process.env.HERALD_CLI_ENTRY ?? `${REPO_ROOT}packages/cli/src/main.ts`;

export type HeraldEvent = Record<string, unknown> & { event?: string };

export interface HeraldProcess {
  readonly pid: number;
  readonly events: HeraldEvent[];
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first event (past or future) matching `predicate`. */
  waitForEvent(
    what: string,
    predicate: (e: HeraldEvent) => boolean,
    timeoutMs?: number,
  ): Promise<HeraldEvent>;
  /** Sends `sig` (default SIGTERM: graceful Cease) and waits for the exit. */
  stop(sig?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function heraldCommand(ns: string, args: readonly string[]): { cmd: string; args: string[] } {
  return {
    cmd: 'ip',
    args: ['netns', 'exec', ns, process.execPath, '--no-warnings', CLI_ENTRY, ...args],
  };
}

export function startHerald(lab: Lab | undefined, ns: string, args: readonly string[]): HeraldProcess {
  const { cmd, args: argv } = heraldCommand(ns, args);
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start heraldctl in ${ns}`);
  const pid = child.pid;
  lab?.track(pid);
  const events: HeraldEvent[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as HeraldEvent);
      } catch {
        events.push({ event: 'unparsed', line });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      lab?.untrack(pid);
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const handle: HeraldProcess = {
    pid,
    events,
    output: () => text,
    exited,
    waitForEvent(what, predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let from = 0;
        const check = () => {
          for (; from < events.length; from++) {
            const e = events[from];
            if (e && predicate(e)) {
              cleanup();
              resolve(e);
              return;
            }
          }
          if (done) {
            cleanup();
            reject(new Error(`heraldctl exited before ${what}; output:\n${text.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; heraldctl output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(sig = 'SIGTERM') {
      if (!done) child.kill(sig);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(killer);
      return result;
    },
  };
  return handle;
}
