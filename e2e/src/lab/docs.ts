// The router configurations documented in docs/routers/*.md (and docs/bfd.md, as '../bfd.md'), as the tests
// load them: verbatim.
import { readFileSync } from 'node:fs';

/**
 * Every fenced block with the info string INFO in docs/routers/FILE, in document order; the page's blocks
 * are meant to be applied one after the other (policy first, then the BGP instance that uses it).
 */
export function documentedBlocks(file: string, info: string): string[] {
  const text = readFileSync(new URL(`../../../docs/routers/${file}`, import.meta.url), 'utf8');
  const blocks = [...text.matchAll(new RegExp('```' + info + '\\n([\\s\\S]*?)\\n```', 'g'))].map(
    (m) => m[1]!,
  );
  if (blocks.length === 0) throw new Error(`docs/routers/${file} has no \`\`\`${info} block`);
  return blocks;
}

/** The page's configuration: all its INFO blocks joined, as one file would hold them. */
export function documentedConfig(file: string, info: string): string {
  return documentedBlocks(file, info).join('\n');
}
