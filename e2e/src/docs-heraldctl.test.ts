// Keeps heraldctl's help and docs/heraldctl.md honest. The command tree is discovered from heraldctl's own
// `--help` output (what a user sees), starting at the root and following every "Commands:" section, so a new
// command is checked without touching this file. For every command: `--help` exits 0 and has an "Examples:"
// section; docs/heraldctl.md has a section headed with the command; every long option of the command is named
// in that section. `heraldctl --version` prints the version of packages/cli/package.json.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const main = join(root, 'packages/cli/src/main.ts');
const doc = readFileSync(join(root, 'docs/heraldctl.md'), 'utf8');

function heraldctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines of one help section ("Options:", "Commands:"), until the next blank-line-separated section. */
function helpSection(help: string, title: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && lines[i] !== ''; i++) out.push(lines[i]!);
  return out;
}

function subcommands(help: string): string[] {
  return helpSection(help, 'Commands')
    .map((l) => /^ {2}([a-z][a-z-]*)\b/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined && c !== 'help');
}

function longOptions(help: string): string[] {
  return helpSection(help, 'Options')
    .map((l) => /^ {2}(?:-[A-Za-z], )?(--[a-z][a-z-]*)/.exec(l)?.[1])
    .filter((o): o is string => o !== undefined && o !== '--help');
}

interface CommandHelp {
  readonly path: readonly string[];
  readonly status: number | null;
  readonly help: string;
}

function discover(path: readonly string[] = []): CommandHelp[] {
  const r = heraldctl(...path, '--help');
  const self: CommandHelp = { path, status: r.status, help: r.stdout };
  return [self, ...subcommands(r.stdout).flatMap((c) => discover([...path, c]))];
}

/** The text of the docs/heraldctl.md section whose heading is `heraldctl <path>`, up to the next heading. */
function docSection(path: readonly string[]): string | undefined {
  const name = ['heraldctl', ...path].join(' ');
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^#{1,4} /.test(l) && l.includes(`\`${name}\``));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^#{1,4} /.test(lines[end]!)) end++;
  return lines.slice(start, end).join('\n');
}

const commands = discover();
const label = (c: CommandHelp) => ['heraldctl', ...c.path].join(' ');

test('the command tree is discovered from --help', () => {
  const names = commands.map(label);
  expect(names).toEqual(
    expect.arrayContaining([
      'heraldctl',
      'heraldctl bgp announce',
      'heraldctl config validate',
      'heraldctl status',
    ]),
  );
});

describe.each(commands.map((c) => [label(c), c] as const))('%s', (_name, command) => {
  test('--help exits 0 and has an Examples section', () => {
    expect(command.status).toBe(0);
    expect(command.help).toMatch(/^Examples:$/m);
  });

  test('docs/heraldctl.md has a section for it naming every option', () => {
    const section = docSection(command.path);
    expect(section).toBeDefined();
    const missing = longOptions(command.help).filter(
      (o) => !new RegExp(`${o}(?![a-z-])`).test(section ?? ''),
    );
    expect(missing).toEqual([]);
  });
});

test('heraldctl --version and -V print the package version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-V']) {
    const r = heraldctl(flag);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  }
});
