// The JSON Schema (2020-12) of config.yaml. It is the single source of the config's SHAPE: the structural
// validator walks it (types, required fields, unknown keys, enums, bounds, patterns), editors use the
// published copy (schema/herald-config.schema.json, kept in sync by a test), and the docs test walks it to
// prove every field is documented. Rules that span fields (overlaps, references, iBGP/eBGP) live in validate.ts.
import {
  ASN_MAX,
  BFD_DEFAULTS,
  BFD_INTERVAL_MAX_MS,
  BFD_INTERVAL_MIN_MS,
  BFD_MULTIPLIER_MAX,
} from '@herald/inet';
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

/**
 * The characters of a Linux interface name (dev_valid_name): 1–15, no '/', ':' or whitespace. The names '.'
 * and '..' are refused by validate/l2.ts (no look-around here: Helm checks patterns with RE2). Patterns for
 * interfaceSelector use the same characters, '*' and '?' being ordinary ones for the kernel.
 */
export const interfaceNamePattern = '^[^/:\\s]{1,15}$';

/** Human reasons for pattern failures, keyed by pattern. */
export const patternReasons: Readonly<Record<string, string>> = {
  [interfaceNamePattern]:
    'is not a Linux interface name (or pattern): 1–15 characters without "/", ":" or whitespace',
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

// AS_TRANS and the RFC 7300 reserved ASNs are in range here; validate/peers.ts words those rules.
const asn = (description: string): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum: ASN_MAX,
  description,
});

// BFD timers are milliseconds (BGP's durations are whole seconds, too coarse here); the floor is measured,
// see docs/bfd.md. validate/bfd.ts holds the rules across fields (profiles, shared sessions).
const bfdInterval = (description: string, dflt: number): JsonSchema => ({
  type: 'integer',
  minimum: BFD_INTERVAL_MIN_MS,
  maximum: BFD_INTERVAL_MAX_MS,
  description,
  default: dflt,
});

const bfdTimers = {
  minReceive: bfdInterval(
    'Required Min RX Interval in milliseconds: the fastest the router may send to us.',
    BFD_DEFAULTS.minReceiveMs,
  ),
  minTransmit: bfdInterval(
    'Desired Min TX Interval in milliseconds: how fast we want to send (the router may ask for slower).',
    BFD_DEFAULTS.minTransmitMs,
  ),
  multiplier: {
    type: 'integer',
    minimum: 1,
    maximum: BFD_MULTIPLIER_MAX,
    default: BFD_DEFAULTS.multiplier,
    description: 'Detect Mult: packets missed in a row before the router declares the session down.',
  },
} as const satisfies Record<string, JsonSchema>;

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
        // Exactly one of addresses and nodeAddresses: validate/node-addresses.ts says which is missing or extra.
        required: ['name'],
        properties: {
          name: name('pool'),
          addresses: {
            type: 'array',
            minItems: 1,
            description:
              'CIDRs ("198.51.100.0/26") and inclusive ranges ("198.51.100.10-198.51.100.20"), IPv4 and IPv6. Exactly one of addresses and nodeAddresses.',
            items: { type: 'string' },
          },
          nodeAddresses: {
            type: 'object',
            additionalProperties: false,
            description:
              'The pool hands out the addresses of eligible Nodes instead of addresses of its own (no BGP, no L2: kube-proxy serves nodeIP:port). Exactly one of addresses and nodeAddresses.',
            properties: {
              type: {
                type: 'string',
                enum: ['InternalIP', 'ExternalIP'],
                default: defaults.nodeAddressType,
                description: 'Which Node status.addresses entries the Service gets.',
              },
              nodeSelectors: selectorList(
                'Nodes whose addresses the pool hands out (OR); empty = all nodes.',
              ),
            },
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
          minHoldTime: duration(
            'Lowest hold time accepted from the router (lower, and 0, are refused with OPEN error 2/6); ' +
              '0s accepts any. Default 3s (0s when holdTime is 0s).',
            defaults.minHoldTime,
          ),
          maxPrefixes: {
            type: 'object',
            additionalProperties: false,
            description:
              'RFC 4486 limit on the prefixes the router may send per address family (the speaker only counts them).',
            properties: {
              limit: {
                type: 'integer',
                minimum: 1,
                maximum: 4294967295,
                default: defaults.maxPrefixesLimit,
                description: 'Most prefixes recorded per family.',
              },
              action: {
                type: 'string',
                enum: ['block', 'restart'],
                default: defaults.maxPrefixesAction,
                description:
                  'block: ignore prefixes beyond the limit, keep the session; restart: Cease 6/1 and a damped restart.',
              },
              restartTime: duration(
                'With action restart: wait before reconnecting, doubled for each consecutive trip (up to 16×).',
                defaults.maxPrefixesRestartTime,
              ),
            },
          },
          connectTime: duration(
            'Longest wait between connection attempts (ConnectRetryTime).',
            defaults.connectTime,
          ),
          ebgpMultihop: {
            type: 'integer',
            minimum: 1,
            maximum: 255,
            description:
              'TTL of the session for an eBGP router up to this many hops away (default: TTL 1, directly connected). eBGP only; not with ttlSecurity.',
          },
          ttlSecurity: {
            type: 'boolean',
            default: defaults.ttlSecurity,
            description:
              'GTSM (RFC 5082) for a directly connected router: send TTL 255, accept only 255. Not with ebgpMultihop.',
          },
          bindInterface: {
            type: 'string',
            description: 'Interface or VRF device the session is bound to (SO_BINDTODEVICE).',
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
            description:
              'Not allowed: a password in the ConfigMap is readable by all who read ConfigMaps; use passwordSecretRef.',
          },
          passwordSecretRef: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'key'],
            description: 'Secret key holding the TCP-MD5 password (RFC 2385) of the session.',
            properties: {
              name: { type: 'string', minLength: 1, description: "Secret name, in Herald's namespace." },
              key: {
                type: 'string',
                minLength: 1,
                description: 'Key in the Secret data; its bytes are the key.',
              },
            },
          },
          nodeSelectors: selectorList('Nodes that peer with this router (OR); empty = all nodes.'),
          bfd: {
            type: 'object',
            additionalProperties: false,
            description:
              'BFD (RFC 5880) with the router: a BFD session Down closes the BGP session at once. Off by default.',
            properties: {
              enabled: {
                type: 'boolean',
                default: false,
                description: 'Run BFD with this router (which must be configured for BFD too).',
              },
              profile: {
                type: 'string',
                pattern: namePattern,
                description: 'A bfdProfiles name whose timers apply; timers set here override it.',
              },
              ...bfdTimers,
            },
          },
        },
      },
    },
    bfdProfiles: {
      type: 'array',
      description: 'Named BFD timer sets that peers refer to with bfd.profile.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: name('BFD profile'), ...bfdTimers },
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
          weighting: {
            type: 'string',
            enum: ['none', 'endpoints'],
            default: defaults.weighting,
            description:
              'endpoints: weighted ECMP, each route carries the link bandwidth community in proportion to the ready endpoints behind this node.',
          },
          weightHoldDown: duration(
            'A weight change is sent at most once per this interval (0s..1h), so endpoint churn is not route churn.',
            defaults.weightHoldDown,
          ),
          gracefulShutdown: {
            type: 'object',
            additionalProperties: false,
            description: 'RFC 8326 graceful drain before planned withdrawals.',
            properties: {
              drainTime: duration(
                'How long a route is announced with GRACEFUL_SHUTDOWN before a planned withdrawal (0s..1h); 0s withdraws at once.',
                defaults.drainTime,
              ),
              cordonedNodes: {
                type: 'string',
                enum: ['announce', 'withdraw'],
                default: defaults.cordonedNodes,
                description: 'withdraw: a cordoned node drains and withdraws these routes.',
              },
            },
          },
          serviceAttributes: {
            type: 'object',
            additionalProperties: false,
            description:
              'What a Service may add to its routes by annotation (herald.dev/bgp-communities, -large-communities, -local-pref); absent = nothing.',
            properties: {
              communities: stringList(
                'Allowed communities: "asn:value", "asn:*", a well-known name or an alias.',
              ),
              largeCommunities: stringList(
                'Allowed large communities: "global:local1:local2", "global:local1:*", "global:*:*" or an alias.',
              ),
              localPref: {
                type: 'object',
                additionalProperties: false,
                description: 'Allowed LOCAL_PREF range (iBGP peers only).',
                properties: {
                  minimum: {
                    type: 'integer',
                    minimum: 0,
                    maximum: 4294967295,
                    description: 'Lowest allowed; default 0.',
                  },
                  maximum: {
                    type: 'integer',
                    minimum: 0,
                    maximum: 4294967295,
                    description: 'Highest allowed; default 4294967295.',
                  },
                },
              },
            },
          },
        },
      },
    },
    l2Advertisements: {
      type: 'array',
      description:
        'Which pool addresses are announced on the local network segment (ARP and IPv6 Neighbor Discovery), ' +
        'from which nodes, on which interfaces. One node answers for each address; the others take over when it fails.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('L2 advertisement'),
          addressPools: stringList('Pool names; empty or omitted = all pools.'),
          nodeSelectors: selectorList('Nodes that may announce (OR); empty = all nodes.'),
          interfaces: {
            type: 'array',
            description:
              'Interface names to answer on (e.g. eth0, bond0.100). Omitted, with no interfaceSelector: the ' +
              'interface holding the node’s InternalIP.',
            items: {
              type: 'string',
              minLength: 1,
              maxLength: 15,
              pattern: interfaceNamePattern,
              description: 'A Linux interface name.',
            },
          },
          interfaceSelector: {
            type: 'object',
            additionalProperties: false,
            required: ['namePatterns'],
            description: 'Interfaces chosen by name pattern, instead of listing them in interfaces.',
            properties: {
              namePatterns: {
                type: 'array',
                minItems: 1,
                description: 'Shell-style patterns (* any run of characters, ? one character), e.g. "en*".',
                items: {
                  type: 'string',
                  minLength: 1,
                  maxLength: 15,
                  pattern: interfaceNamePattern,
                  description: 'An interface name pattern.',
                },
              },
            },
          },
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
