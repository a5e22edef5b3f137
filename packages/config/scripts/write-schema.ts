// Regenerates schema/herald-config.schema.json from src/schema.ts (a unit test fails when they differ):
//   ./node_modules/.bin/node packages/config/scripts/write-schema.ts
import { writeFileSync } from 'node:fs';
import { jsonSchema } from '../src/schema.ts';

export const schemaFile = new URL('../schema/herald-config.schema.json', import.meta.url);
writeFileSync(schemaFile, `${JSON.stringify(jsonSchema, null, 2)}\n`);
console.log(`wrote ${schemaFile.pathname}`);
