// Every command shown in the docs is run here. A fenced block opened with ```sh tested is executed
// with bash from the repository root (node_modules/.bin first on PATH, like npm scripts), and must exit
// with 0 unless its first line is a comment `# expect-exit: N`. Blocks that need a cluster or a router
// are not marked `tested`; they are covered by the e2e suites that run the same configuration files.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

interface TestedBlock {
  file: string;
  line: number;
  script: string;
  expectExit: number;
}

function testedBlocks(file: string): TestedBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: TestedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|console) +tested\s*$/.test(lines[i] ?? '')) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i = start; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    const expect = /^# expect-exit: (\d+)/.exec(body[0] ?? '');
    blocks.push({
      file: relative(root, file),
      line: start,
      script: body.join('\n'),
      expectExit: expect ? Number(expect[1]) : 0,
    });
  }
  return blocks;
}

const files = [
  join(root, 'README.md'),
  ...markdownFiles(join(root, 'docs')),
  ...markdownFiles(join(root, 'charts')),
];
const blocks = files.flatMap(testedBlocks);

test('the docs contain tested command blocks', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', (_name, block) => {
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block.script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
  });
  if (result.status !== block.expectExit) {
    throw new Error(
      `${block.file}:${block.line} exited ${result.status} (expected ${block.expectExit})\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
});
