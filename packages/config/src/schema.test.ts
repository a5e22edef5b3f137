// The schema is the single source of the config's shape: the published file, the docs and the examples are
// checked against it here.
import { readFileSync } from 'node:fs';
import { formatConfigError, parseConfigSource } from './parse.ts';
import { type JsonSchema, jsonSchema } from './schema.ts';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

test('published schema file is in sync (regenerate: node packages/config/scripts/write-schema.ts)', () => {
  expect(JSON.parse(read('packages/config/schema/herald-config.schema.json'))).toEqual(
    JSON.parse(JSON.stringify(jsonSchema)),
  );
});

const supported = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'default',
  'examples',
]);

function walkKeywords(s: JsonSchema, at: string, out: string[]): void {
  for (const k of Object.keys(s)) if (!supported.has(k)) out.push(`${at}: ${k}`);
  for (const [k, v] of Object.entries(s.properties ?? {})) walkKeywords(v, `${at}.${k}`, out);
  for (const [k, v] of Object.entries(s.$defs ?? {})) walkKeywords(v, `${at}.$defs.${k}`, out);
  if (s.items) walkKeywords(s.items, `${at}[]`, out);
  if (s.additionalProperties) walkKeywords(s.additionalProperties, `${at}.*`, out);
  if (s.propertyNames) walkKeywords(s.propertyNames, `${at}.propertyNames`, out);
}

test('schema uses only keywords the structural validator implements', () => {
  const out: string[] = [];
  walkKeywords(jsonSchema, '', out);
  expect(out).toEqual([]);
});

/** Every property path, in the notation of docs/configuration.md: `peers[].gracefulRestart.restartTime`. */
function propertyPaths(s: JsonSchema, prefix: string, out: string[]): void {
  if (s.$ref !== undefined) return; // shared definitions are documented once under their own name
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.push(p);
    propertyPaths(v, p, out);
  }
  if (s.items !== undefined) propertyPaths(s.items, `${prefix}[]`, out);
}

test('every schema field is documented in docs/configuration.md', () => {
  const paths: string[] = [];
  propertyPaths(jsonSchema, '', paths);
  propertyPaths(jsonSchema.$defs!.labelSelector!, 'LabelSelector', paths);
  expect(paths.length).toBeGreaterThan(40); // guards against the walk silently finding nothing
  const doc = read('docs/configuration.md');
  expect(paths.filter((p) => !doc.includes(`\`${p}\``))).toEqual([]);
});

describe('docs/examples', () => {
  test.each([
    'basic.yaml',
    'dual-stack.yaml',
    'configmap.yaml',
    'node-addresses.yaml',
    'traffic.yaml',
    'l2.yaml',
  ])('%s is valid without warnings', (file) => {
    const r = parseConfigSource(read(`docs/examples/${file}`));
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual([]);
    expect(r.warnings.map(formatConfigError)).toEqual([]);
  });

  test('invalid.yaml produces exactly the errors shown in docs/configuration.md', () => {
    const doc = read('docs/configuration.md');
    const m =
      /<!-- invalid\.yaml output: begin -->\n```text\n([\s\S]*?)```\n<!-- invalid\.yaml output: end -->/.exec(
        doc,
      );
    expect(m).not.toBeNull();
    const documented = m![1]!.trimEnd().split('\n');
    const r = parseConfigSource(read('docs/examples/invalid.yaml'));
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map(formatConfigError)).toEqual(documented);
  });
});
