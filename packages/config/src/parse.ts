// Text → config: YAML 1.2 (core schema, so `no` stays a string and "no-export" is safe; JSON is YAML too),
// one document, no duplicate keys. Errors carry line/column so editors and heraldctl can point at them.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, parseDocument } from 'yaml';
import { configMapKey, configMapName } from './constants.ts';
import type { Issue, Path } from './path.ts';
import { isObject } from './shape.ts';
import type { ConfigError, ConfigResult } from './types.ts';
import { toConfigError, validateDetailed } from './validate.ts';

const yamlOptions = { uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' } as const;

interface Positioned {
  readonly line: number;
  readonly column: number;
}

/** The node at `path`, or the deepest existing ancestor (a missing required field points at its parent). */
function nodeAt(root: unknown, path: Path): { node: Node; keyNode: Node | undefined } | undefined {
  let cur: unknown = root;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(cur)) {
      const pair = cur.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pair === undefined) break;
      keyNode = isScalar(pair.key) ? pair.key : undefined;
      cur = pair.value;
      if (cur === null) return keyNode === undefined ? undefined : { node: keyNode, keyNode };
    } else if (isSeq(cur) && typeof seg === 'number') {
      const item = cur.items[seg];
      if (item === undefined || item === null) break;
      keyNode = undefined;
      cur = item;
    } else break;
  }
  return cur !== null && typeof cur === 'object' && 'range' in cur
    ? { node: cur as Node, keyNode }
    : undefined;
}

function locate(doc: unknown, lc: LineCounter, issue: Issue): ConfigError {
  const base = toConfigError(issue);
  const found = nodeAt(doc, issue.path);
  const range = (found?.keyNode ?? found?.node)?.range;
  if (range === undefined || range === null) return base;
  const pos: Positioned = { line: lc.linePos(range[0]).line, column: lc.linePos(range[0]).col };
  return { ...base, ...pos };
}

/** Parses config.yaml text (YAML 1.2 core schema; JSON is YAML) and validates it. Never throws. */
export function parseConfig(text: string): ConfigResult {
  try {
    if (typeof text !== 'string')
      return { ok: false, errors: [{ path: '', message: 'the configuration must be text' }], warnings: [] };
    const lc = new LineCounter();
    const docs = parseAllDocuments(text, { ...yamlOptions, lineCounter: lc });
    const list = Array.isArray(docs) ? docs : [];
    if (list.length > 1)
      return {
        ok: false,
        errors: [
          { path: '', message: `expected one YAML document, found ${list.length} (separated by "---")` },
        ],
        warnings: [],
      };
    const doc = list[0] ?? parseDocument(text, { ...yamlOptions, lineCounter: lc });
    const syntax = doc.errors;
    if (syntax.length > 0)
      return {
        ok: false,
        errors: syntax.map((e) => {
          const pos = lc.linePos(e.pos[0]);
          const msg = e.message.split('\n')[0]!;
          return {
            path: '',
            message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${msg}`,
            line: pos.line,
            column: pos.col,
          };
        }),
        warnings: [],
      };
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    const r = validateDetailed(value);
    const warnings = r.warnings.map((i) => locate(doc.contents, lc, i));
    if (r.config === undefined)
      return { ok: false, errors: r.errors.map((i) => locate(doc.contents, lc, i)), warnings };
    return { ok: true, config: r.config, warnings };
  } catch (e) {
    return {
      ok: false,
      errors: [{ path: '', message: `cannot read the configuration: ${String(e)}` }],
      warnings: [],
    };
  }
}

export type ConfigSourceResult = ConfigResult & { readonly source: 'config' | 'configmap' };

function fail(message: string, source: 'config' | 'configmap'): ConfigSourceResult {
  return { ok: false, errors: [{ path: '', message }], warnings: [], source };
}

/**
 * Accepts either config.yaml itself or a Kubernetes manifest (one or more YAML documents) holding the
 * ConfigMap `herald-config` with data["config.yaml"]; validates the config inside. Positions of errors in a
 * ConfigMap are relative to the embedded config.yaml text.
 */
export function parseConfigSource(text: string): ConfigSourceResult {
  try {
    const docs = parseAllDocuments(text, yamlOptions);
    if (!Array.isArray(docs) || docs.length === 0) return { ...parseConfig(text), source: 'config' };
    const values = docs.map((d) =>
      d.errors.length > 0 ? undefined : (d.toJS({ maxAliasCount: 1000 }) as unknown),
    );
    const isManifest = values.some(
      (v) => isObject(v) && typeof v.kind === 'string' && typeof v.apiVersion === 'string',
    );
    if (!isManifest) return { ...parseConfig(text), source: 'config' };
    const configMaps = values.filter(
      (v): v is Record<string, unknown> =>
        isObject(v) && v.kind === 'ConfigMap' && isObject(v.data) && Object.hasOwn(v.data, configMapKey),
    );
    const named = configMaps.filter((v) => isObject(v.metadata) && v.metadata.name === configMapName);
    const chosen = named.length > 0 ? named : configMaps;
    if (chosen.length === 0)
      return fail(
        `the manifest has no ConfigMap with data."${configMapKey}" (expected ConfigMap "${configMapName}")`,
        'configmap',
      );
    if (chosen.length > 1)
      return fail(
        `the manifest has ${chosen.length} ConfigMaps with data."${configMapKey}"; pass one at a time`,
        'configmap',
      );
    const data = chosen[0]!.data as Record<string, unknown>;
    const embedded = data[configMapKey];
    if (typeof embedded !== 'string')
      return fail(`data."${configMapKey}" must be a string (use a YAML block: "|")`, 'configmap');
    return { ...parseConfig(embedded), source: 'configmap' };
  } catch (e) {
    return fail(`cannot read the configuration: ${String(e)}`, 'config');
  }
}

/** `path: reason` (just the reason for document-level errors whose path is empty). */
export function formatConfigError(e: ConfigError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`;
}
