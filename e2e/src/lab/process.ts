// Daemon processes by pid file: the lab only ever signals processes it started (never by name).
import { readFile } from 'node:fs/promises';
import { eventually } from '../eventually.ts';
import { pidAlive } from '../kube/processes.ts';

export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resumes a frozen process first so it can exit. */
export async function terminate(pid: number, graceMs = 3000): Promise<void> {
  if (!pidAlive(pid)) return;
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  const gone = () => !pidAlive(pid);
  await eventually(`pid ${pid} to exit`, gone, { timeoutMs: graceMs, intervalMs: 50 }).catch(async () => {
    signal(pid, 'SIGKILL');
    await eventually(`pid ${pid} to die after SIGKILL`, gone, { intervalMs: 20 });
  });
}
