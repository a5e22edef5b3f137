// heraldctl migrate metallb as operators run it: the real binary is spawned (exit codes, stdout vs --output,
// formats), and what it writes is checked with `heraldctl config validate`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigSource } from '@herald/config';
import { parse } from 'yaml';

const root = new URL('../../../../', import.meta.url).pathname;
const node = join(root, 'node_modules/.bin/node');
const main = join(root, 'packages/cli/src/main.ts');
const crs = 'docs/examples/metallb/crs.yaml';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `heraldctl-migrate-${process.pid}-`));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function heraldctl(args: string[], input?: string) {
  const r = spawnSync(node, [main, ...args], { cwd: root, encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('files → config.yaml on stdout (exit 0), notes and a summary on stderr', () => {
  const r = heraldctl(['migrate', 'metallb', crs]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^# Herald configuration converted from MetalLB/);
  const check = parseConfigSource(r.stdout);
  expect(check.ok).toBe(true);
  expect(r.stderr).toContain('dropped BGPPeer metallb-system/tor-1 spec.password: ');
  expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
    'converted 11 MetalLB objects into 3 address pools, 2 peers, 3 advertisements, 2 community aliases, ' +
      '1 BFD profile, 1 L2 advertisement; 2 dropped, 4 adapted, 0 ignored',
  );
});

test('--output writes the file and nothing to stdout; config validate accepts it', () => {
  const out = join(dir, 'config.yaml');
  const r = heraldctl(['migrate', 'metallb', 'docs/examples/metallb/legacy-configmap.yaml', '--output', out]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`(written to ${out})`);
  expect(heraldctl(['config', 'validate', out])).toMatchObject({
    code: 0,
    stdout: 'valid: 2 address pools, 1 peer, 1 advertisement, 0 community aliases, 1 L2 advertisement\n',
  });
});

test('--format configmap and values wrap the same config', () => {
  const cm = heraldctl(['migrate', 'metallb', crs, '--format', 'configmap', '--herald-namespace', 'lb']);
  expect(cm.code).toBe(0);
  const manifest = parse(cm.stdout) as { kind: string; metadata: { name: string; namespace: string } };
  expect(manifest).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'herald-config', namespace: 'lb' } });
  expect(heraldctl(['config', 'validate', '-'], cm.stdout).code).toBe(0);
  const plain = heraldctl(['migrate', 'metallb', crs]);
  const values = heraldctl(['migrate', 'metallb', crs, '--format', 'values']);
  expect((parse(values.stdout) as { config: unknown }).config).toEqual(parse(plain.stdout));
});

test('standard input and --report json', () => {
  const r = heraldctl(['migrate', 'metallb', '-', '--report', 'json'], readFileSync(join(root, crs), 'utf8'));
  expect(r.code).toBe(0);
  const json = r.stderr.slice(0, r.stderr.lastIndexOf('\nconverted') + 1);
  const report = JSON.parse(json) as { notes: { action: string; source: string; field: string }[] };
  expect(report.notes).toContainEqual(
    expect.objectContaining({
      action: 'dropped',
      source: 'BGPPeer metallb-system/tor-1',
      field: 'spec.password',
    }),
  );
});

test('an invalid result writes nothing, exits 1 and names the source object of each error', () => {
  const input = join(dir, 'overlap.yaml');
  writeFileSync(
    input,
    [
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a, namespace: metallb-system}\nspec: {addresses: [198.51.100.0/26]}',
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: b, namespace: metallb-system}\nspec: {addresses: [198.51.100.0/28]}',
    ].join('\n---\n'),
  );
  const out = join(dir, 'never.yaml');
  const r = heraldctl(['migrate', 'metallb', input, '--output', out]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
  expect(r.stderr).toContain(
    'invalid: addressPools[1].addresses[0]: "198.51.100.0/28" overlaps "198.51.100.0/26" (addressPools[0].addresses[0] of pool "a") (from IPAddressPool metallb-system/b)',
  );
});

test('nothing to convert, several namespaces, bad YAML → exit 1', () => {
  const empty = heraldctl(
    ['migrate', 'metallb', '-'],
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n',
  );
  expect(empty.code).toBe(1);
  expect(empty.stderr).toContain('error: no MetalLB configuration found in standard input');
  const two =
    'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a, namespace: one}\nspec: {addresses: [198.51.100.0/26]}\n---\n' +
    'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: b, namespace: two}\nspec: {addresses: [198.51.100.64/26]}\n';
  const several = heraldctl(['migrate', 'metallb', '-'], two);
  expect(several.code).toBe(1);
  expect(several.stderr).toContain('from 2 namespaces (one, two)');
  const chosen = heraldctl(['migrate', 'metallb', '-', '-n', 'two'], two);
  expect(chosen.code).toBe(0);
  expect(chosen.stdout).toContain('name: b');
  expect(chosen.stdout).not.toContain('name: a');
  const bad = heraldctl(['migrate', 'metallb', '-'], 'kind: [unclosed\n');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/error: standard input:\d+: YAML syntax error/);
});

test('usage errors and unreadable files → exit 2', () => {
  expect(heraldctl(['migrate', 'metallb']).code).toBe(2);
  const missing = heraldctl(['migrate', 'metallb', join(dir, 'nope.yaml')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('no such file');
  expect(heraldctl(['migrate', 'metallb', crs, '--format', 'xml']).code).toBe(2);
  expect(heraldctl(['migrate', 'metallb', crs, '--from-cluster']).code).toBe(2);
});

test('docs/migration-metallb.md shows the real output of its example', () => {
  const doc = readFileSync(join(root, 'docs/migration-metallb.md'), 'utf8');
  const block = (name: string) =>
    new RegExp(
      `<!-- migrate crs\\.yaml ${name}: begin -->\\n\`\`\`[a-z]+\\n([\\s\\S]*?)\`\`\`\\n<!-- migrate crs\\.yaml ${name}: end -->`,
    ).exec(doc)?.[1];
  const r = heraldctl(['migrate', 'metallb', crs]);
  expect(block('stdout')).toBe(r.stdout);
  expect(block('stderr')).toBe(r.stderr);
});
