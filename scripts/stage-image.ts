// Assembles the runnable tree of one image from a built monorepo (see scripts/build-image.sh):
//   node scripts/stage-image.ts <controller|speaker> <outdir>
// Production dependencies are the transitive `dependencies` (+ installed optional and peer dependencies) of
// the program, resolved exactly as Node resolves them in the repo and copied to the same relative place, so
// the image runs the versions the tests ran, without network access. Workspace packages (@herald/*) are
// copied as their compiled dist with package.json "exports"/"bin" rewritten from ./src/*.ts to ./dist/*.js.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const repo = realpathSync(new URL('../', import.meta.url).pathname);

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Node's lookup of a bare package name from a package directory: nearest node_modules upwards. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === repo || dir === dirname(dir)) return undefined;
  }
}

/** Where a package found at `found` (a path in the repo) goes in the image. */
function destinationOf(found: string, program: string, out: string): string {
  const real = realpathSync(found);
  const rel = relative(repo, real);
  const workspace = /^packages\/([^/]+)(\/.*)?$/.exec(rel.split(sep).join('/'));
  if (workspace) {
    const [, ws, rest = ''] = workspace;
    const base =
      ws === program ? out : join(out, 'node_modules', readPackage(join(repo, 'packages', ws!)).name);
    return join(base, rest);
  }
  if (!rel.startsWith('node_modules')) throw new Error(`unexpected package location ${real}`);
  return join(out, rel);
}

/** ./src/x.ts → ./dist/x.js in exports / bin / main, recursively. */
function toDist(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/^\.\/src\/(.*)\.ts$/, './dist/$1.js');
  if (Array.isArray(value)) return value.map(toDist);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDist(v)]));
  }
  return value;
}

const notLoadedAtRunTime = /\.[cm]?ts$|\.map$/;

const relativeImport = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Copies dist/ without tests, declarations and build info; checks every relative import ends in .js. */
function copyDist(from: string, to: string): number {
  let files = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    if (entry.isDirectory()) {
      files += copyDist(src, join(to, entry.name));
      continue;
    }
    if (/\.test\.js(\.map)?$|\.d\.ts(\.map)?$|\.tsbuildinfo$/.test(entry.name)) continue;
    if (entry.name.endsWith('.js')) {
      const code = readFileSync(src, 'utf8');
      for (const match of code.matchAll(relativeImport)) {
        if (!match[1]!.endsWith('.js') && !match[1]!.endsWith('.json')) {
          throw new Error(`${relative(repo, src)} imports ${match[1]}: compiled imports must end in .js`);
        }
      }
    }
    mkdirSync(to, { recursive: true });
    cpSync(src, join(to, entry.name));
    files++;
  }
  return files;
}

function stage(program: string, out: string): void {
  const programDir = join(repo, 'packages', program);
  if (!existsSync(join(programDir, 'dist', 'main.js'))) {
    throw new Error(`packages/${program}/dist/main.js missing: packages/${program}/src/main.ts not built`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const placed = new Map<string, string>(); // destination → real source
  const queue: string[] = [programDir];
  const summary: string[] = [];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const real = realpathSync(dir);
    const dest = destinationOf(dir, program, out);
    const previous = placed.get(dest);
    if (previous !== undefined) {
      if (previous !== real)
        throw new Error(`${relative(out, dest)} would hold both ${previous} and ${real}`);
      continue;
    }
    placed.set(dest, real);
    const pkg = readPackage(real);
    const isWorkspace = relative(repo, real).startsWith(`packages${sep}`);
    if (isWorkspace) {
      const { devDependencies: _dev, scripts: _scripts, ...rest } = pkg;
      const rewritten = {
        ...rest,
        exports: toDist(pkg.exports),
        ...(pkg.bin ? { bin: toDist(pkg.bin) } : {}),
      };
      mkdirSync(dest, { recursive: true });
      writeFileSync(join(dest, 'package.json'), `${JSON.stringify(rewritten, null, 2)}\n`);
      const files = copyDist(join(real, 'dist'), join(dest, 'dist'));
      summary.push(`${pkg.name} (${files} files)`);
    } else {
      // The package without its nested node_modules (staged on their own if needed), and without files
      // Node never loads at run time: TypeScript sources and declarations (Node does not strip types under
      // node_modules) and source maps. Saves about half of @kubernetes/client-node.
      cpSync(real, dest, {
        recursive: true,
        filter: (src) => src !== join(real, 'node_modules') && !notLoadedAtRunTime.test(src),
      });
    }
    const required = { ...pkg.peerDependencies, ...pkg.dependencies };
    const optional = new Set([
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name),
    ]);
    for (const name of [...Object.keys(required), ...optional].sort()) {
      // Type declarations are never loaded at run time.
      if (name.startsWith('@types/')) continue;
      const found =
        resolvePackage(name, real) ?? (isWorkspace ? resolvePackage(name, programDir) : undefined);
      if (found === undefined) {
        if (optional.has(name)) continue;
        throw new Error(`${pkg.name} depends on ${name}, which is not installed: run npm ci`);
      }
      queue.push(found);
    }
  }
  const thirdParty = placed.size - summary.length;
  let bytes = 0;
  const measure = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) measure(path);
      else bytes += statSync(path).size;
    }
  };
  measure(out);
  console.error(
    `[stage-image] ${summary.join(', ')} + ${thirdParty} production packages, ${(bytes / 1048576).toFixed(1)} MiB in ${out}`,
  );
}

const [program, out] = process.argv.slice(2);
if ((program !== 'controller' && program !== 'speaker') || !out) {
  console.error('usage: node scripts/stage-image.ts <controller|speaker> <outdir>');
  process.exit(2);
}
try {
  stage(program, out);
} catch (err) {
  console.error(`[stage-image] ${(err as Error).message}`);
  process.exit(1);
}
