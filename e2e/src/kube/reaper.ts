// The test bed's last line of defence, run as its own process by processes.ts: it is told (JSON lines on
// stdin) which child pids and temp dirs the test process owns, and when its stdin closes — the test
// process exited, crashed or was SIGKILLed — it kills what is left and removes the dirs. Needed because
// jest runs tests with a sandboxed copy of `process` whose 'exit' event never fires, and no in-process
// hook survives SIGKILL. It ignores SIGINT/SIGTERM/SIGHUP so that a Ctrl-C to the whole process group
// still lets it clean up after its owner.
// Usage: node reaper.ts (driven by processes.ts)
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

type Message =
  | { op: 'pid'; pid: number }
  | { op: 'unpid'; pid: number }
  | { op: 'dir'; path: string }
  | { op: 'undir'; path: string };

/** Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a recycled pid apart. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const pids = new Map<number, string | undefined>();
const dirs = new Set<string>();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

createInterface({ input: process.stdin })
  .on('line', (line) => {
    let msg: Message;
    try {
      msg = JSON.parse(line) as Message;
    } catch {
      return;
    }
    if (msg.op === 'pid') pids.set(msg.pid, startTime(msg.pid));
    else if (msg.op === 'unpid') pids.delete(msg.pid);
    else if (msg.op === 'dir') dirs.add(msg.path);
    else if (msg.op === 'undir') dirs.delete(msg.path);
  })
  .on('close', () => {
    for (const [pid, started] of pids) {
      if (started === undefined || startTime(pid) !== started) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
