// Builds heraldctl as ONE executable that carries the pinned Node 24 runtime (Node's single-executable
// applications), so operators need neither this repository nor a Node installation.
//
//   node scripts/build-heraldctl.ts [--output dist/heraldctl]     (npm run build:heraldctl)
//
// Steps, each timed and printed:
// 1. esbuild bundles packages/cli/src/main.ts and everything it imports into ES modules. ESM because
//    main.ts ends with a top-level await, which esbuild cannot emit as CommonJS. Split into chunks at each
//    dynamic import: heraldctl loads a command's implementation only when that command runs (main.ts), so
//    `heraldctl bgp announce` never parses the Kubernetes client, YAML or the converter (about 3 MiB of the
//    3.5 MiB; 98 → 58 MiB RSS announcing one prefix, docs/performance.md).
// 2. Node 24's SEA runs only a CommonJS main script (its `mainFormat: "module"` came in Node 25.8), so the
//    blob's main is a small CommonJS loader, and the modules travel as SEA assets. The loader registers
//    synchronous module hooks that serve the assets under file: URLs beside the executable and imports the
//    entry: stack traces then name `heraldctl.mjs:line:col` (or a chunk), not a data: URL.
// 3. `node --experimental-sea-config` writes the preparation blob; postject injects it into a copy of the
//    Node binary running this script (the pinned one when run through npm; anything but Node 24 is refused).

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
const cliDir = join(root, 'packages/cli');
/** Node's documented sentinel: the fuse postject flips so the binary looks for the injected blob. */
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

interface Postject {
  inject(
    file: string,
    resource: string,
    data: Buffer,
    options: { sentinelFuse: string; machoSegmentName?: string },
  ): Promise<void>;
}

// The loader is the blob's CommonJS main: everything else is the asset it imports.
const loader = `'use strict';
const { getAsset } = require('node:sea');
const { registerHooks } = require('node:module');
const { pathToFileURL } = require('node:url');
const base = pathToFileURL(process.execPath).href + '/';
const assets = new Set(__ASSETS__);
/** The asset a URL beside the executable names, if any (chunks import each other as ./chunk-*.mjs). */
const assetOf = (url) => (url.startsWith(base) && assets.has(url.slice(base.length)) ? url.slice(base.length) : undefined);
registerHooks({
  resolve: (specifier, context, next) => {
    const url = specifier.startsWith('./') && context.parentURL ? new URL(specifier, context.parentURL).href : specifier;
    return assetOf(url) ? { url, format: 'module', shortCircuit: true } : next(specifier, context);
  },
  load: (url, context, next) => {
    const name = assetOf(url);
    return name ? { format: 'module', source: getAsset(name, 'utf8'), shortCircuit: true } : next(url, context);
  },
});
import(base + 'heraldctl.mjs').catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

export interface BuildResult {
  readonly output: string;
  readonly stripped: boolean;
  readonly bytes: number;
  readonly bundleBytes: number;
  readonly ms: { bundle: number; blob: number; inject: number; total: number };
}

function hasStrip(): boolean {
  try {
    execFileSync('strip', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function buildHeraldctl(output: string): Promise<BuildResult> {
  if (!process.versions.node.startsWith('24.')) {
    throw new Error(
      `the binary carries the Node running this script, which is ${process.version}; run it through npm ` +
        '(npm run build:heraldctl) so the pinned Node 24 is used',
    );
  }
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'heraldctl-sea-'));
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    const version = (JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { version: string })
      .version;
    const outdir = join(work, 'modules');
    await build({
      entryPoints: { heraldctl: join(cliDir, 'src/main.ts') },
      outdir,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      // Whitespace and syntax only: identifiers stay, so stack traces remain readable.
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'none',
      logLevel: 'warning',
      // CommonJS dependencies (commander, pino) call require() for built-ins; an ES module has none.
      banner: {
        js: "import { createRequire as __heraldctlRequire } from 'node:module'; const require = __heraldctlRequire(process.execPath);",
      },
      plugins: [
        {
          // version.ts reads package.json beside the sources at run time; the binary has none, so the
          // bundle gets the same value as a literal.
          name: 'heraldctl-version',
          setup(b) {
            b.onLoad({ filter: /[\\/]packages[\\/]cli[\\/]src[\\/]version\.ts$/ }, () => ({
              contents: `export const version = ${JSON.stringify(version)};`,
              loader: 'ts',
            }));
          },
        },
      ],
    });
    const t1 = performance.now();

    const modules = readdirSync(outdir).filter((f) => f.endsWith('.mjs'));
    writeFileSync(join(work, 'loader.cjs'), loader.replace('__ASSETS__', JSON.stringify(modules)));
    const config = {
      main: join(work, 'loader.cjs'),
      output: join(work, 'sea.blob'),
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
      assets: Object.fromEntries(modules.map((f) => [f, join(outdir, f)])),
    };
    writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config));
    execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const t2 = performance.now();

    mkdirSync(dirname(output), { recursive: true });
    copyFileSync(process.execPath, tmp);
    // Node's Linux binary ships its symbol tables (~17 MiB); the runtime never reads them. Stripped before
    // injection (postject then writes the blob into a clean ELF); skipped where binutils is missing.
    const stripped = hasStrip();
    if (stripped) execFileSync('strip', [tmp]);
    const { inject } = createRequire(import.meta.url)('postject') as Postject;
    // postject's ELF library prints harmless "Can't find string offset for section name" lines for the
    // unnamed notes of Node's binary; they go to stderr and do not affect the result.
    await inject(tmp, 'NODE_SEA_BLOB', readFileSync(config.output), {
      sentinelFuse: seaFuse,
      machoSegmentName: 'NODE_SEA',
    });
    chmodSync(tmp, 0o755);
    renameSync(tmp, output);
    const t3 = performance.now();
    return {
      output,
      stripped,
      bytes: statSync(output).size,
      bundleBytes: modules.reduce((sum, f) => sum + statSync(join(outdir, f)).size, 0),
      ms: {
        bundle: Math.round(t1 - t0),
        blob: Math.round(t2 - t1),
        inject: Math.round(t3 - t2),
        total: Math.round(t3 - t0),
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { output: { type: 'string', default: join(root, 'dist/heraldctl') } },
  });
  const r = await buildHeraldctl(resolve(values.output));
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  process.stdout.write(
    `built ${r.output}: ${mb(r.bytes)}${r.stripped ? '' : ' (not stripped: no strip command)'} ` +
      `(bundle ${mb(r.bundleBytes)}), ${r.ms.total} ms ` +
      `(bundle ${r.ms.bundle} ms, blob ${r.ms.blob} ms, inject ${r.ms.inject} ms)\n`,
  );
}

if (import.meta.filename === process.argv[1]) await main();
