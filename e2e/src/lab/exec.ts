// Running commands for the lab: every call is argv-based (no shell), returns stdout/stderr, and fails with the
// full command line and stderr so a broken lab step says exactly what the kernel or the daemon refused.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFailure?: boolean;
  input?: string;
  timeoutMs?: number;
}

export class CommandError extends Error {
  readonly result: RunResult;
  constructor(command: string, result: RunResult) {
    super(
      `command failed (exit ${result.code}): ${command}\n${result.stderr.trim() || result.stdout.trim()}`,
    );
    this.name = 'CommandError';
    this.result = result;
  }
}

export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${line}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) reject(new CommandError(line, result));
      else resolve(result);
    });
    child.stdin?.on('error', () => undefined).end(options.input);
  });
}

/** Runs a command inside a network namespace (`ip netns exec NS cmd args…`). */
export function runIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], options);
}
