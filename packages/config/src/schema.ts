// The JSON Schema (2020-12) of config.yaml. It is the single source of the config's SHAPE: the structural
// validator walks it (types, required fields, unknown keys, enums, bounds, patterns), editors use the
// published copy (schema/herald-config.schema.json, kept in sync by a test), and the docs test walks it to
// prove every field is documented. Rules that span fields (overlaps, references, iBGP/eBGP) live in validate.ts.
import { defaults } from './constants.ts';

/** The subset of JSON Schema 2020-12 this package uses (the walker supports exactly these keywords). */
export interface JsonSchema {
  readonly $schema?: string;
  readonly $id?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly title?: string;
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly default?: string | number | boolean;
  readonly examples?: readonly unknown[];
}

/** DNS-1123 label: what Kubernetes accepts as a name; pool names end up in annotations and metric labels. */
export const namePattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Go/Kubernetes-style duration in whole seconds: "90s", "1m30s", "1h". */
export const durationPattern = '^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?$';

/** Human reasons for pattern failures, keyed by pattern. */
export const patternReasons: Readonly<Record<string, string>> = {
  [namePattern]:
    'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  [durationPattern]: 'is not a duration; write whole seconds with units h, m, s, e.g. "90s" or "1m30s"',
};

const name = (what: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: namePattern,
  description: `Name of the ${what}; unique, a DNS-1123 label.`,
});

const duration = (description: string, dflt?: string): JsonSchema => ({
  type: 'string',
  pattern: durationPattern,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});

const stringList = (description: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string' },
  description,
});

const selectorList = (description: string): JsonSchema => ({
  type: 'array',
  items: { $ref: '#/$defs/labelSelector' },
  description,
});

const asn = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: 4294967295,
  description,
});

export const jsonSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://herald.dev/schemas/herald-config.schema.json',
  title: 'Herald configuration (ConfigMap herald-config, key config.yaml)',
  type: 'object',
  additionalProperties: false,
  properties: {
    addressPools: {
      type: 'array',
      description: 'Address pools the controller assigns LoadBalancer IPs from.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'addresses'],
        properties: {
          name: name('pool'),
          addresses: {
            type: 'array',
            minItems: 1,
            description:
              'CIDRs ("198.51.100.0/26") and inclusive ranges ("198.51.100.10-198.51.100.20"), IPv4 and IPv6.',
            items: { type: 'string' },
          },
          autoAssign: {
            type: 'boolean',
            default: defaults.autoAssign,
            description:
              'When false, only Services that request this pool or one of its IPs get addresses from it.',
          },
          avoidBuggyIPs: {
            type: 'boolean',
            default: defaults.avoidBuggyIPs,
            description: 'When true, IPv4 addresses ending in .0 or .255 are never assigned.',
          },
          serviceAllocation: {
            type: 'object',
            additionalProperties: false,
            description: 'Restricts which Services may use the pool and sets its preference.',
            properties: {
              priority: {
                type: 'integer',
                minimum: 0,
                maximum: 2147483647,
                description: 'Lower is preferred; pools without a priority are tried last.',
              },
              namespaces: stringList('Namespaces whose Services may use the pool.'),
              namespaceSelectors: selectorList('Namespace label selectors (OR).'),
              serviceSelectors: selectorList('Service label selectors (OR).'),
            },
          },
        },
      },
    },
    peers: {
      type: 'array',
      description: 'BGP routers the speakers peer with.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'peerAddress', 'peerASN', 'myASN'],
        properties: {
          name: name('peer'),
          peerAddress: { type: 'string', description: 'IPv4 or IPv6 address of the router.' },
          peerASN: asn('AS number of the router.'),
          myASN: asn('AS number of the speakers; equal to peerASN for iBGP.'),
          peerPort: {
            type: 'integer',
            minimum: 1,
            maximum: 65535,
            default: defaults.peerPort,
            description: 'TCP port of the router.',
          },
          sourceAddress: {
            type: 'string',
            description: 'Local address for the session; same family as peerAddress.',
          },
          routerID: {
            type: 'string',
            description: 'BGP Identifier (dotted quad); default derived per node.',
          },
          holdTime: duration('Hold time proposed in OPEN: 0s (disabled) or 3s..65535s.', defaults.holdTime),
          keepaliveTime: duration('Keepalive interval; default one third of the negotiated hold time.'),
          connectTime: duration(
            'Longest wait between connection attempts (ConnectRetryTime).',
            defaults.connectTime,
          ),
          ebgpMultihop: {
            type: 'integer',
            minimum: 1,
            maximum: 255,
            description: 'IP TTL for an eBGP router more than one hop away. eBGP only.',
          },
          passive: {
            type: 'boolean',
            default: defaults.passive,
            description: 'Only accept the router’s connection; never connect.',
          },
          gracefulRestart: {
            type: 'object',
            additionalProperties: false,
            description: 'RFC 4724 graceful restart.',
            properties: {
              enabled: {
                type: 'boolean',
                default: defaults.gracefulRestartEnabled,
                description: 'Advertise the capability.',
              },
              restartTime: duration('Restart Time advertised: 0s..4095s.', defaults.gracefulRestartTime),
            },
          },
          password: {
            type: 'string',
            description: 'TCP MD5 password (RFC 2385). Not supported yet: rejected.',
          },
          passwordSecretRef: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'key'],
            description: 'Secret holding the TCP MD5 password. Not supported yet: rejected.',
            properties: {
              name: { type: 'string', minLength: 1, description: 'Secret name (install namespace).' },
              key: { type: 'string', minLength: 1, description: 'Key in the Secret data.' },
            },
          },
          nodeSelectors: selectorList('Nodes that peer with this router (OR); empty = all nodes.'),
        },
      },
    },
    bgpAdvertisements: {
      type: 'array',
      description:
        'How pool addresses are announced: which pools, to which peers, from which nodes, with which attributes.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('advertisement'),
          addressPools: stringList('Pool names; empty or omitted = all pools.'),
          aggregationLength: {
            type: 'integer',
            minimum: 0,
            maximum: 32,
            default: defaults.aggregationLength,
            description: 'Prefix length announced for IPv4 addresses.',
          },
          aggregationLengthV6: {
            type: 'integer',
            minimum: 0,
            maximum: 128,
            default: defaults.aggregationLengthV6,
            description: 'Prefix length announced for IPv6 addresses.',
          },
          localPref: {
            type: 'integer',
            minimum: 0,
            maximum: 4294967295,
            description: 'LOCAL_PREF, sent to iBGP peers only.',
          },
          communities: stringList(
            'Standard communities: "asn:value", a well-known name, or a bgpCommunities alias.',
          ),
          largeCommunities: stringList(
            'Large communities: "global:local1:local2", or a bgpCommunities alias.',
          ),
          peers: stringList('Peer names; empty or omitted = all peers.'),
          nodeSelectors: selectorList('Nodes that announce (OR); empty = all nodes.'),
        },
      },
    },
    bgpCommunities: {
      type: 'object',
      description: 'Community aliases: name → "asn:value" or "global:local1:local2".',
      propertyNames: { type: 'string', pattern: namePattern },
      additionalProperties: { type: 'string' },
    },
  },
  $defs: {
    labelSelector: {
      type: 'object',
      additionalProperties: false,
      description: 'Kubernetes label selector: matchLabels AND matchExpressions; {} matches everything.',
      properties: {
        matchLabels: {
          type: 'object',
          description: 'Labels that must be present with exactly these values.',
          additionalProperties: { type: 'string' },
        },
        matchExpressions: {
          type: 'array',
          description: 'Requirements that must all hold.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['key', 'operator'],
            properties: {
              key: { type: 'string', description: 'Label key.' },
              operator: {
                type: 'string',
                enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
                description: 'In / NotIn need values; Exists / DoesNotExist must have none.',
              },
              values: stringList('Values for In / NotIn.'),
            },
          },
        },
      },
    },
  },
};
