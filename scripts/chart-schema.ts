// Embeds the JSON Schema of Herald's configuration (packages/config/schema/herald-config.schema.json) into
// the chart's values.schema.json as the schema of the `config` value, so `helm install` rejects a malformed
// configuration before it reaches the cluster, with the same shape rules the programs apply.
//
//   node scripts/chart-schema.ts          rewrite charts/herald/values.schema.json
//   node scripts/chart-schema.ts --check  exit 1 if it is out of date (run by e2e/src/chart-render.test.ts)
//
// Two adaptations, both mechanical and checked by the chart test:
// - `$defs` of the config schema become `$defs["heraldConfig.<name>"]` of the values schema, and every
//   `#/$defs/<name>` reference is rewritten, because `#` now means the values schema's root.
// - Helm compiles `pattern` with Go's RE2, which has no look-around; the few config patterns that use it are
//   replaced by RE2 equivalents from the table below (an unknown one fails here instead of at install time).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url).pathname;
export const configSchemaPath = `${root}packages/config/schema/herald-config.schema.json`;
export const valuesSchemaPath = `${root}charts/herald/values.schema.json`;
const defsPrefix = 'heraldConfig';

/** ECMA-262 pattern → equivalent RE2 pattern (same language; verified on samples by the chart test). */
export const re2Patterns: Readonly<Record<string, string>> = {
  '^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?$': '^([0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const re2Unsupported = /\(\?[=!<]|\\[1-9]/;

function adapt(node: Json, path: string): Json {
  if (Array.isArray(node)) return node.map((item, i) => adapt(item, `${path}[${i}]`));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const local = /^#\/\$defs\/(.+)$/.exec(value);
      if (!local)
        throw new Error(`${path}.$ref: only local #/$defs/ references can be embedded, got ${value}`);
      out[key] = `#/$defs/${defsPrefix}.${local[1]}`;
    } else if (key === 'pattern' && typeof value === 'string' && re2Unsupported.test(value)) {
      const re2 = re2Patterns[value];
      if (re2 === undefined) {
        throw new Error(
          `${path}.pattern ${JSON.stringify(value)} uses syntax Go's RE2 (Helm) cannot compile; ` +
            'add an equivalent RE2 pattern to re2Patterns in scripts/chart-schema.ts',
        );
      }
      out[key] = re2;
    } else {
      out[key] = adapt(value, `${path}.${key}`);
    }
  }
  return out;
}

/** The values schema with its `config` section replaced by the embedded configuration schema. */
export function embed(valuesSchema: JsonObject, configSchema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, $defs: configDefs, ...configRoot } = configSchema;
  const defs: JsonObject = {};
  for (const [name, def] of Object.entries(isObject(valuesSchema.$defs) ? valuesSchema.$defs : {})) {
    if (name !== defsPrefix && !name.startsWith(`${defsPrefix}.`)) defs[name] = def;
  }
  defs[defsPrefix] = adapt(configRoot, 'config');
  for (const [name, def] of Object.entries(isObject(configDefs) ? configDefs : {})) {
    defs[`${defsPrefix}.${name}`] = adapt(def, `config.$defs.${name}`);
  }
  const properties = isObject(valuesSchema.properties) ? valuesSchema.properties : {};
  return {
    ...valuesSchema,
    properties: { ...properties, config: { $ref: `#/$defs/${defsPrefix}` } },
    $defs: defs,
  };
}

function main(): number {
  if (!existsSync(configSchemaPath)) {
    console.error(`${configSchemaPath} does not exist yet: the config package publishes it`);
    return 1;
  }
  const configSchema = JSON.parse(readFileSync(configSchemaPath, 'utf8')) as JsonObject;
  const current = readFileSync(valuesSchemaPath, 'utf8');
  const next = `${JSON.stringify(embed(JSON.parse(current) as JsonObject, configSchema), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (next === current) return 0;
    console.error(
      'charts/herald/values.schema.json is out of date with the config schema; run: node scripts/chart-schema.ts',
    );
    return 1;
  }
  if (next !== current) writeFileSync(valuesSchemaPath, next);
  console.log(next === current ? 'values.schema.json is up to date' : 'values.schema.json updated');
  return 0;
}

if (import.meta.filename === process.argv[1]) process.exitCode = main();
