// Which modules a program loads: runs `node ARGS` with a module hook that records every URL it loads and prints
// them when the process exits. Tests use it to keep heavy dependencies out of a program's start-up (the
// speaker runs on every node: what it loads is paid on every node).

import { spawnSync } from 'node:child_process';

const HOOK = `
import { registerHooks } from 'node:module';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('\\n@@loaded ' + JSON.stringify(urls) + '\\n'));
`;

/** URLs of every module `node ARGS` loaded before it exited (it must exit by itself, e.g. with --help). */
export function loadedModules(args: readonly string[], cwd?: string): string[] {
  const r = spawnSync(
    process.execPath,
    ['--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(HOOK)}`, ...args],
    { encoding: 'utf8', cwd, timeout: 60_000 },
  );
  const line = r.stderr.split('\n').find((l) => l.startsWith('@@loaded '));
  if (line === undefined) throw new Error(`node ${args.join(' ')} reported no modules: ${r.stderr}`);
  return JSON.parse(line.slice('@@loaded '.length)) as string[];
}
