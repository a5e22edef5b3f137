// heraldctl config: the real binary is spawned (exit codes are the contract scripts rely on), plus an
// in-process run for stdin handling.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { type ConfigCommandIo, registerConfigCommands } from './command.ts';

const root = new URL('../../../../', import.meta.url).pathname;
const node = join(root, 'node_modules/.bin/node');
const main = join(root, 'packages/cli/src/main.ts');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `heraldctl-config-${process.pid}-`));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function heraldctl(args: string[], input?: string) {
  const r = spawnSync(node, [main, ...args], { cwd: root, encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('valid file → exit 0 and a summary', () => {
  const r = heraldctl(['config', 'validate', 'docs/examples/dual-stack.yaml']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('valid: 3 address pools, 3 peers, 2 advertisements, 2 community aliases\n');
});

test('ConfigMap manifest is accepted', () => {
  const r = heraldctl(['config', 'validate', 'docs/examples/configmap.yaml']);
  expect(r.code).toBe(0);
});

test('invalid file → exit 1, one "path: reason" per line, count on stderr', () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'addressPools:\n  - name: a\n    addresses: [198.51.100.7/24]\n    autoAsign: true\n');
  const r = heraldctl(['config', 'validate', file]);
  expect(r.code).toBe(1);
  expect(r.stdout.trimEnd().split('\n')).toEqual([
    'addressPools[0].addresses[0]: "198.51.100.7/24" has host bits set; did you mean "198.51.100.0/24"?',
    'addressPools[0].autoAsign: unknown field; did you mean "autoAssign"?',
  ]);
  expect(r.stderr).toContain('2 errors');
});

test('--output json', () => {
  const r = heraldctl(['config', 'validate', '-o', 'json', 'docs/examples/invalid.yaml']);
  expect(r.code).toBe(1);
  const body = JSON.parse(r.stdout) as { valid: boolean; errors: { path: string; line: number }[] };
  expect(body.valid).toBe(false);
  expect(body.errors[0]).toMatchObject({ path: 'addressPools[0].addresses[1]', line: 6 });
});

test('stdin with -', () => {
  const r = heraldctl(['config', 'validate', '-'], 'peers: []\n');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^valid: 0 address pools/);
});

test('usage errors → exit 2', () => {
  expect(heraldctl(['config', 'validate']).code).toBe(2);
  const missing = heraldctl(['config', 'validate', join(dir, 'nope.yaml')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no such file');
  expect(heraldctl(['config', 'validate', dir]).code).toBe(2);
  expect(heraldctl(['config', 'validate', '-o', 'xml', 'docs/examples/basic.yaml']).code).toBe(2);
});

test('schema prints the JSON Schema', () => {
  const r = heraldctl(['config', 'schema']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema' });
});

test('--help shows examples', () => {
  for (const cmd of [['config'], ['config', 'validate'], ['config', 'schema']]) {
    const r = heraldctl([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
  }
});

test('in-process: warnings go to stderr, exit code via io', async () => {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const io: ConfigCommandIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => 'addressPools:\n  - name: a\n    addresses: [198.51.100.0/26]\n',
    exit: (c) => {
      code = c;
    },
  };
  const program = new Command('heraldctl').exitOverride();
  registerConfigCommands(program, io);
  await program.parseAsync(['config', 'validate', '-'], { from: 'user' });
  expect(code).toBe(0);
  expect(out.join('')).toBe('valid: 1 address pool, 0 peers, 0 advertisements, 0 community aliases\n');
  expect(err.join('')).toBe(
    'warning: peers: no peers configured: addresses are assigned but not announced anywhere\n',
  );
});
