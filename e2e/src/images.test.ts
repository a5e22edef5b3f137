// The images' build steps, run for real: scripts/build-image.sh (what the Dockerfiles' build stage runs)
// stages each program into a temp dir outside the repo, and the staged entry point must start with the
// pinned Node 24 (`--help`, `--version`) using only what was staged — outside the repo no module can be
// found in the monorepo's node_modules by accident. Also keeps the Dockerfiles consistent with the script
// and the workspace list, since no container engine runs here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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
    expect(config.exports).toEqual({ '.': './dist/index.js', './constants': './dist/constants.js' });
    // @herald/kube has a subpath export (./process) that must point at dist too.
    const kube = JSON.parse(readFileSync(join(app(), 'node_modules/@herald/kube/package.json'), 'utf8')) as {
      exports: unknown;
    };
    expect(kube.exports).toEqual({ '.': './dist/index.js', './process': './dist/process/index.js' });
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(app(), 'node_modules', dep, 'package.json'))).toBe(true);
    }
    const files = [...filesUnder(join(app(), 'dist')), ...filesUnder(join(app(), 'node_modules/@herald'))];
    expect(files.length).toBeGreaterThan(10);
    // Our code is compiled JS: no TypeScript, no tests.
    expect(files.filter((f) => /\.[cm]?ts$|\.test\.js$/.test(f))).toEqual([]);
    // Only a program that depends on @herald/native carries koffi.
    expect(existsSync(join(app(), 'node_modules/koffi'))).toBe('@herald/native' in pkg.dependencies);
    for (const devOnly of ['typescript', 'jest', '@swc/core', '@biomejs/biome', 'node', '@types/node']) {
      expect({ devOnly, present: existsSync(join(app(), 'node_modules', devOnly)) }).toEqual({
        devOnly,
        present: false,
      });
    }
  });
});

// @herald/native loads koffi's prebuilt binary from the optional package npm installed for this platform
// (@koromix/koffi-linux-x64 here; the arm64 build stage, running on arm64, installs and stages
// @koromix/koffi-linux-arm64 instead). The staged speaker must load it and open a real socket with it, and
// without the binary the probe must say why instead of the program running weaker.
describe('@herald/native in the staged speaker tree', () => {
  let out = '';
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), `herald-image-native-${process.pid}-`));
    const build = spawnSync('bash', [join(root, 'scripts/build-image.sh'), 'speaker', join(out, 'app')], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    if (build.status !== 0)
      throw new Error(`build-image.sh speaker exited ${build.status}:\n${build.stderr}`);
  }, 300_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  // Imports the staged package by name from the staged tree (cwd), probes it, and opens a TCP socket with
  // a TCP-MD5 key and GTSM (no privileges needed), printing one JSON line.
  const probe = `
    import { closeFd, nativeSupport, openBgpSocket } from '@herald/native';
    let socket;
    try { closeFd(openBgpSocket({ remote: '203.0.113.2', md5Key: 'key', ttl: 255, minTtl: 254 })); socket = 'ok'; }
    catch (err) { socket = err.message; }
    console.log(JSON.stringify({ support: nativeSupport(), socket }));`;
  const runProbe = () => {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      encoding: 'utf8',
      cwd: join(out, 'app'),
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: out },
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(result.stdout) as { support: { ok: boolean; reason?: string }; socket: string };
  };
  const platformPackage = join('node_modules/@koromix', `koffi-${process.platform}-${process.arch}`);

  test('koffi and its prebuilt binary for this platform are staged, and nothing for other platforms', () => {
    const app = join(out, 'app');
    expect(existsSync(join(app, 'node_modules/@herald/native/dist/index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/koffi/package.json'))).toBe(true);
    expect(
      filesUnder(join(app, platformPackage))
        .filter((f) => f.endsWith('.node'))
        .sort(),
    ).toEqual(
      process.arch === 'x64'
        ? ['linux_x64/koffi.node', 'musl_x64/koffi.node']
        : ['linux_arm64/koffi.node', 'musl_arm64/koffi.node'],
    );
    expect(readdirSync(join(app, 'node_modules/@koromix'))).toEqual([
      `koffi-${process.platform}-${process.arch}`,
    ]);
  });

  test('the staged package loads with Node 24 and opens a TCP-MD5 + GTSM socket', () => {
    expect(runProbe()).toEqual({ support: { ok: true }, socket: 'ok' });
  });

  test('the staged BFD engine starts its worker thread (compiled worker.js) and answers across it', () => {
    const app = join(out, 'app');
    expect(existsSync(join(app, 'node_modules/@herald/bfd/dist/driver/worker.js'))).toBe(true);
    const bfd = `
      import { BfdService } from '@herald/bfd';
      const service = new BfdService({ isolation: 'worker', udp: { module: import.meta.resolve('@herald/native') } });
      const snapshot = await service.refresh();
      await service.close();
      console.log(JSON.stringify({ sessions: snapshot.sessions.length, silenced: snapshot.silenced }));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', bfd], {
      encoding: 'utf8',
      cwd: app,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: out },
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ sessions: 0, silenced: false });
  });

  test('without the prebuilt binary the probe gives the reason and every socket call refuses loudly', () => {
    const app = join(out, 'app');
    renameSync(join(app, platformPackage), join(out, 'hidden-koffi-binary'));
    try {
      const { support, socket } = runProbe();
      expect(support.ok).toBe(false);
      expect(support.reason).toMatch(
        new RegExp(
          `^the koffi module \\(FFI\\) cannot be loaded \\(.+\\); its prebuilt binary comes from the optional package @koromix/koffi-${process.platform}-${process.arch}`,
        ),
      );
      expect(socket).toBe(`native socket support is unavailable: ${support.reason}`);
    } finally {
      renameSync(join(out, 'hidden-koffi-binary'), join(app, platformPackage));
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
      // Pinned by digest (scripts/update-base-images.sh refreshes them), the same in both Dockerfiles.
      expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
      expect(dockerfile).toMatch(
        /^ARG RUNTIME_IMAGE=gcr\.io\/distroless\/nodejs24-debian12:nonroot@sha256:[0-9a-f]{64}$/m,
      );
      const pins = (text: string) => text.match(/^ARG (NODE|RUNTIME)_IMAGE=.*$/gm);
      expect(pins(dockerfile)).toEqual(pins(readFileSync(join(root, 'Dockerfile.controller'), 'utf8')));
      expect(dockerfile).toMatch(/^COPY --from=build --chown=0:0 \/out\/ \/app\/$/m);
      expect(dockerfile).toMatch(/^USER 65532:65532$/m);
      // node's flags and glibc's arena cap: what each bought is in docs/performance.md. The speaker (paid on
      // every node) trades start-up speed for memory further than the controller, whose bursts need the speed.
      const flags: Record<string, string[]> = {
        controller: ['--max-semi-space-size=4', '--max-opt=2'],
        speaker: ['--max-semi-space-size=2', '--max-opt=2', '--optimize-for-size'],
      };
      const entrypoint = JSON.stringify(['/nodejs/bin/node', ...flags[component]!, '/app/dist/main.js']);
      expect(dockerfile).toContain(`\nENTRYPOINT ${entrypoint.replaceAll(',', ', ')}\n`);
      expect(dockerfile).toMatch(/^ENV MALLOC_ARENA_MAX=2$/m);
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
