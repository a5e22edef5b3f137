// The test bed's last line of defence, run as its own process by processes.ts: it is told (JSON lines on
// stdin) which child pids and temp dirs the test process owns, and when its stdin closes — the test
// process exited, crashed or was SIGKILLed — it kills what is left and removes the dirs. Needed because
// jest runs tests with a sandboxed copy of `process` whose 'exit' event never fires, and no in-process
// hook survives SIGKILL. It ignores SIGINT/SIGTERM/SIGHUP so that a Ctrl-C to the whole process group
// still lets it clean up after its owner.
// Usage: node reaper.ts (driven by processes.ts)
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { processStart } from './processes.ts';

type Message =
  | { op: 'pid'; pid: number }
  | { op: 'unpid'; pid: number }
  | { op: 'dir'; path: string }
  | { op: 'undir'; path: string };

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
    if (msg.op === 'pid') pids.set(msg.pid, processStart(msg.pid));
    else if (msg.op === 'unpid') pids.delete(msg.pid);
    else if (msg.op === 'dir') dirs.add(msg.path);
    else if (msg.op === 'undir') dirs.delete(msg.path);
  })
  .on('close', () => {
    for (const [pid, started] of pids) {
      if (started === undefined || processStart(pid) !== started) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
