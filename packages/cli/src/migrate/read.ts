// Reads MetalLB configuration from text: multi-document YAML of metallb.io objects, `kubectl get -o yaml`
// lists (kind List or <Kind>List), a legacy ConfigMap (key `config`), or a bare legacy config document.
// Objects that are not MetalLB configuration are counted in one note, so passing a whole install manifest works.
import { parseAllDocuments } from 'yaml';
import { legacyToObjects, looksLegacy } from './legacy.ts';
import {
  crSource,
  isRecord,
  type MetallbKind,
  type MetallbObject,
  type MigrationNote,
  metallbKinds,
} from './types.ts';

export interface MetallbInput {
  readonly objects: MetallbObject[];
  readonly notes: MigrationNote[];
  /** Unreadable input: YAML syntax errors, with file and line. Nothing is converted when there are any. */
  readonly errors: string[];
}

/** MetalLB kinds that are state or long-gone API, not configuration to convert. */
const notConfiguration: Readonly<Record<string, string>> = {
  ServiceL2Status: 'status written by MetalLB, not configuration',
  ServiceBGPStatus: 'status written by MetalLB, not configuration',
  ConfigurationState: 'status written by MetalLB, not configuration',
  AddressPool:
    'the AddressPool kind was removed in MetalLB v0.14; MetalLB converted it to IPAddressPool, BGPAdvertisement ' +
    'and L2Advertisement objects: convert those',
};

/** One object of a parsed document (after List flattening) → what it contributes. */
export function objectsOf(
  value: unknown,
  where: string,
): { objects: MetallbObject[]; notes: MigrationNote[] } {
  if (!isRecord(value)) return { objects: [], notes: [] };
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  const kind = typeof value.kind === 'string' ? value.kind : '';
  if (apiVersion.startsWith('metallb.io/')) {
    const label = crSource(kind, name, namespace).label;
    if ((metallbKinds as readonly string[]).includes(kind)) {
      const labels = isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
      const spec = isRecord(value.spec) ? value.spec : {};
      return {
        objects: [
          {
            kind: kind as MetallbKind,
            name,
            namespace,
            labels,
            spec,
            source: crSource(kind, name, namespace),
          },
        ],
        notes: [],
      };
    }
    return {
      objects: [],
      notes: [
        {
          action: 'ignored',
          source: label,
          field: '',
          reason: notConfiguration[kind] ?? `${kind} is not a MetalLB configuration kind this tool knows`,
        },
      ],
    };
  }
  if (
    kind === 'ConfigMap' &&
    apiVersion === 'v1' &&
    isRecord(value.data) &&
    typeof value.data.config === 'string'
  ) {
    const label = crSource('ConfigMap', name, namespace).label;
    const docs = parseAllDocuments(value.data.config, { version: '1.2' });
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    if (doc === undefined || doc.errors.length > 0)
      return {
        objects: [],
        notes: [{ action: 'ignored', source: label, field: 'data.config', reason: 'not valid YAML' }],
      };
    const config: unknown = doc.toJS();
    // Any ConfigMap may have a `config` key; only one holding MetalLB's legacy sections is MetalLB's.
    return looksLegacy(config) ? legacyToObjects(config, label, 'data.config') : { objects: [], notes: [] };
  }
  if (looksLegacy(value)) return legacyToObjects(value, where, '');
  return { objects: [], notes: [] };
}

/** Parses one input (a file's text); `where` names it in notes and errors. */
export function readMetallbText(text: string, where: string): MetallbInput {
  const objects: MetallbObject[] = [];
  const notes: MigrationNote[] = [];
  const errors: string[] = [];
  const others = new Map<string, number>();
  const docs = parseAllDocuments(text, { version: '1.2', prettyErrors: false });
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = text.slice(0, e.pos[0]).split('\n').length;
        errors.push(`${where}:${line}: YAML syntax error: ${e.message.split('\n')[0]}`);
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    const items =
      isRecord(value) &&
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
        ? value.items
        : [value];
    for (const item of items) {
      const r = objectsOf(item, where);
      objects.push(...r.objects);
      notes.push(...r.notes);
      if (r.objects.length === 0 && r.notes.length === 0 && isRecord(item) && typeof item.kind === 'string')
        others.set(item.kind, (others.get(item.kind) ?? 0) + 1);
    }
  }
  if (others.size > 0) {
    const total = [...others.values()].reduce((a, b) => a + b, 0);
    notes.push({
      action: 'ignored',
      source: where,
      field: '',
      reason: `${total} ${total === 1 ? 'object that is' : 'objects that are'} not MetalLB configuration (${[...others.keys()].sort().join(', ')})`,
    });
  }
  return { objects, notes, errors };
}
