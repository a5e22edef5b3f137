// The structural half of validation: walks a value against jsonSchema and reports, with exact paths, every
// unknown key (with a "did you mean"), wrong type, missing required field, enum, bound and pattern violation.
// It supports exactly the keywords of JsonSchema in schema.ts; a test keeps the schema within that subset.
import type { Issue, Path } from './path.ts';
import { type JsonSchema, jsonSchema, patternReasons } from './schema.ts';

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The name of a value's JSON type, for "must be X, got Y" messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return typeof v;
}

const typeWords: Record<NonNullable<JsonSchema['type']>, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
};

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest candidate when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = c.toLowerCase() === lower ? 0 : levenshtein(lower, c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  // Short words are too easy to "match": suggest for them only on a case difference.
  const limit = word.length < 3 ? 0 : Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestScore <= limit ? best : undefined;
}

export function suggestion(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : `; did you mean "${s}"?`;
}

export function resolveRef(schema: JsonSchema): JsonSchema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/$defs/', '');
  const target = jsonSchema.$defs?.[name];
  if (target === undefined) throw new Error(`schema bug: unresolved $ref ${schema.$ref}`);
  return target;
}

function checkType(v: unknown, type: NonNullable<JsonSchema['type']>): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
  }
}

/** Walks `value` against `schema` at `path`; appends issues. Returns nothing; never throws on data. */
export function checkShape(value: unknown, schemaIn: JsonSchema, path: Path, out: Issue[]): void {
  const schema = resolveRef(schemaIn);
  if (schema.type !== undefined && !checkType(value, schema.type)) {
    out.push({ path, message: `must be ${typeWords[schema.type]}, got ${typeName(value)}` });
    return;
  }
  if (typeof value === 'string') {
    if (schema.enum !== undefined && !schema.enum.includes(value)) {
      out.push({
        path,
        message: `must be one of ${schema.enum.join(', ')}; got ${JSON.stringify(value)}${suggestion(value, schema.enum)}`,
      });
      return;
    }
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      out.push({ path, message: 'must not be empty' });
      return;
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      out.push({ path, message: `${JSON.stringify(value)} is longer than ${schema.maxLength} characters` });
      return;
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      const reason = patternReasons[schema.pattern] ?? `must match ${schema.pattern}`;
      out.push({ path, message: `${JSON.stringify(value)} ${reason}` });
    }
    return;
  }
  if (typeof value === 'number') {
    const { minimum: min, maximum: max } = schema;
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      out.push({ path, message: `must be ${min ?? '-∞'}..${max ?? '∞'}, got ${value}` });
    }
    return;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      out.push({
        path,
        message: `must list at least ${schema.minItems} ${schema.minItems === 1 ? 'entry' : 'entries'}`,
      });
    if (schema.items !== undefined)
      value.forEach((item, i) => {
        checkShape(item, schema.items!, [...path, i], out);
      });
    return;
  }
  if (isObject(value)) {
    const known = Object.keys(schema.properties ?? {});
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key) || value[key] === null || value[key] === undefined)
        out.push({ path: [...path, key], message: 'is required' });
    }
    for (const [key, v] of Object.entries(value)) {
      // Own properties only: `__proto__`, `constructor`, `toString`… are not fields of any schema, whatever
      // Object.prototype says.
      const prop =
        schema.properties !== undefined && Object.hasOwn(schema.properties, key)
          ? schema.properties[key]
          : undefined;
      if (prop !== undefined) {
        if (v === null && !(schema.required ?? []).includes(key)) continue; // `field:` with no value = omitted
        if (v !== null) checkShape(v, prop, [...path, key], out);
        continue;
      }
      if (schema.propertyNames !== undefined) checkShape(key, schema.propertyNames, [...path, key], out);
      if (schema.additionalProperties === false) {
        const hint = suggestion(key, known);
        out.push({
          path: [...path, key],
          message: hint !== '' ? `unknown field${hint}` : `unknown field (known fields: ${known.join(', ')})`,
        });
      } else if (schema.additionalProperties !== undefined) {
        checkShape(v, schema.additionalProperties, [...path, key], out);
      }
    }
  }
}
