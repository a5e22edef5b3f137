// The images' build steps, run for real: scripts/build-image.sh (what the Dockerfiles' build stage runs)
// stages each program into a temp dir outside the repo, and the staged entry point must start with the
// pinned Node 24 (`--help`, `--version`) using only what was staged — outside the repo no module can be
// found in the monorepo's node_modules by accident. Also keeps the Dockerfiles consistent with the script
// and the workspace list, since no container engine runs here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const components = ['controller', 'speaker'] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe.each(components)('herald-%s image tree', (component) => {
  let out = '';
  let build: ReturnType<typeof spawnSync>;
  const pkg = JSON.parse(readFileSync(join(root, `packages/${component}/package.json`), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), `herald-image-${component}-${process.pid}-`));
    build = spawnSync('bash', [join(root, 'scripts/build-image.sh'), component, join(out, 'app')], {
      encoding: 'utf8',
      timeout: 240_000,
    });
  }, 300_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const app = () => join(out, 'app');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(app(), 'dist/main.js'), ...args], {
      encoding: 'utf8',
      cwd: out,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: out },
    });

  test('scripts/build-image.sh builds it', () => {
    if (build.status !== 0)
      throw new Error(`build-image.sh ${component} exited ${build.status}:\n${build.stderr}`);
    expect(existsSync(join(app(), 'dist/main.js'))).toBe(true);
  });

  test('the entry point prints its help and version with Node 24 and only the staged files', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const help = run('--help');
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toContain(`Usage: herald-${component}`);
    for (const flag of ['--kubeconfig', '--namespace', '--config-map', '--metrics-address', '--log-level']) {
      expect(help.stdout).toContain(flag);
    }
    const version = run('--version');
    expect({ status: version.status, stdout: version.stdout.trim() }).toEqual({
      status: 0,
      stdout: pkg.version,
    });
  });

  test('production files only: compiled JS, rewritten workspace exports, no dev dependencies', () => {
    const staged = JSON.parse(readFileSync(join(app(), 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(staged.exports).toEqual({ '.': './dist/index.js' });
    expect(staged.bin).toEqual({ [`herald-${component}`]: './dist/main.js' });
    expect(staged.devDependencies).toBeUndefined();
    const config = JSON.parse(
      readFileSync(join(app(), 'node_modules/@herald/config/package.json'), 'utf8'),
    ) as {
      exports: unknown;
    };
    expect(config.exports).toEqual({ '.': './dist/index.js' });
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(app(), 'node_modules', dep, 'package.json'))).toBe(true);
    }
    const files = [...filesUnder(join(app(), 'dist')), ...filesUnder(join(app(), 'node_modules/@herald'))];
    expect(files.length).toBeGreaterThan(10);
    // Our code is compiled JS: no TypeScript, no tests.
    expect(files.filter((f) => /\.[cm]?ts$|\.test\.js$/.test(f))).toEqual([]);
    for (const devOnly of ['typescript', 'jest', '@swc/core', '@biomejs/biome', 'node', '@types/node']) {
      expect({ devOnly, present: existsSync(join(app(), 'node_modules', devOnly)) }).toEqual({
        devOnly,
        present: false,
      });
    }
  });
});

describe('Dockerfiles', () => {
  const workspaces = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;

  test.each(components)(
    'Dockerfile.%s builds with the script and runs the staged entry as non-root',
    (component) => {
      const dockerfile = readFileSync(join(root, `Dockerfile.${component}`), 'utf8');
      expect(dockerfile).toContain(`RUN bash scripts/build-image.sh ${component} /out`);
      expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
      expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
      expect(dockerfile).toMatch(/^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
      expect(dockerfile).toMatch(/^COPY --from=build --chown=0:0 \/out\/ \/app\/$/m);
      expect(dockerfile).toMatch(/^USER 65532:65532$/m);
      expect(dockerfile).toMatch(
        /^ENTRYPOINT \["\/nodejs\/bin\/node", "--enable-source-maps", "\/app\/dist\/main\.js"\]$/m,
      );
      for (const label of ['title', 'description', 'version', 'revision', 'created', 'licenses', 'source']) {
        expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
      }
      // npm ci needs every workspace's package.json; each COPY source must exist.
      for (const ws of workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
      for (const [, src] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const path of src!.split(' '))
          expect({ path, exists: existsSync(join(root, path)) }).toEqual({ path, exists: true });
      }
    },
  );
});
