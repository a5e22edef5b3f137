// `heraldctl bgp …`: peering tools for operators, to test a router's BGP configuration before installing
// Herald. Usage errors print one line naming the option and exit 2.
// The BGP speaker and the option rules are loaded when the command runs, not when heraldctl starts.
import { readFileSync } from 'node:fs';
import { BFD_DEFAULTS } from '@herald/inet';
import { type Command, Option } from 'commander';
import type { RawAnnounceOptions } from './options.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const EXAMPLES = `
Examples:
  # eBGP to a router, announcing one LoadBalancer IP with this node as next hop
  heraldctl bgp announce --local-asn 64513 --peer-address 203.0.113.1 --peer-asn 64512 \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32

  # IPv6, communities, JSON event lines
  heraldctl bgp announce --local-asn 64513 --peer-address 2001:db8:1::1 --peer-asn external \\
    --local-address 2001:db8:1::11 --prefix 2001:db8:100::10/128 \\
    --community 64512:100 --large-community 64512:1:2 --json

  # Passive: wait for the router to dial in (router side: a neighbor or listen range for this node)
  heraldctl bgp announce --passive --listen-address 203.0.113.11 --local-asn 64513 \\
    --peer-address 203.0.113.1 --peer-asn 64512 --prefixes-file prefixes.txt --next-hop 203.0.113.11

  # TCP-MD5 and GTSM, as the router is configured (FRR: neighbor … password …, neighbor … ttl-security hops 1)
  heraldctl bgp announce --local-asn 64513 --peer-address 203.0.113.1 --peer-asn 64512 \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32 --password-file tor1.password --ttl-security

  # iBGP with LOCAL_PREF, graceful restart capability (restart time 120 s)
  heraldctl bgp announce --local-asn 64512 --peer-address 203.0.113.1 --peer-asn internal \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32 --local-pref 200 --graceful-restart

  # With BFD (300 ms x 3): the router must run BFD for this neighbor too (FRR: neighbor ... bfd)
  heraldctl bgp announce --local-asn 64513 --peer-address 203.0.113.1 --peer-asn 64512 \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32 --bfd

Signals: SIGINT/SIGTERM take BFD AdminDown (with --bfd), send Cease (Administrative Shutdown) and exit 0;
SIGHUP re-reads --prefixes-file and announces/withdraws the difference. Exit status 2 means a bad argument.
`;

export function registerBgpCommands(program: Command): void {
  const bgp = program
    .command('bgp')
    .description('BGP peering tools (test a router before installing Herald)')
    .addHelpText(
      'after',
      `
Examples:
  heraldctl bgp announce --help
  heraldctl bgp announce --local-asn 64513 --peer-address 203.0.113.1 --peer-asn 64512 \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32`,
    );
  bgp
    .command('announce')
    .description('open one BGP session, announce prefixes, and print session events until interrupted')
    .option('--local-asn <asn>', 'our AS number (plain or asdot)')
    .option('--peer-address <ip>', "the router's address")
    .option('--peer-asn <asn>', "the router's AS number, or 'external' / 'internal'")
    .option('--peer-port <port>', 'TCP port of the router (default 179)')
    .option('--router-id <ipv4>', 'BGP identifier (default: the local IPv4 address)')
    .option('--hold-time <seconds>', 'hold time to offer: 0 or 3..65535 (default 90)')
    .option('--local-address <ip>', 'source address to connect from; also the default next hop')
    .option('--passive', 'do not dial: wait for the router to connect')
    .option('--listen-address <ip>', 'with --passive: address to listen on (default --local-address or ::)')
    .option('--listen-port <port>', 'with --passive: port to listen on (default 179)')
    .option('--prefix <prefix>', 'prefix to announce, e.g. 198.51.100.10/32 (repeatable)', collect)
    .option('--prefixes-file <path>', 'file with one prefix per line (# comments); re-read on SIGHUP')
    .option('--next-hop <ip>', 'next hop, at most one per address family (repeatable)', collect)
    .option('--community <asn:value>', 'RFC 1997 community or well-known name (repeatable)', collect)
    .option('--large-community <g:l1:l2>', 'RFC 8092 large community (repeatable)', collect)
    .option(
      '--extended-community <kind:admin:value>',
      'RFC 4360 extended community: rt:/ro: route target or origin, lb:asn:bytes-per-second link bandwidth (repeatable)',
      collect,
    )
    .option('--local-pref <n>', 'LOCAL_PREF (iBGP only)')
    .option('--med <n>', 'MULTI_EXIT_DISC')
    .option('--ebgp-multihop <ttl>', 'TTL 1..255 for an eBGP router that many hops away (default: TTL 1)')
    .addOption(new Option('--multihop <ttl>', 'older spelling of --ebgp-multihop').hideHelp())
    .option('--ttl-security', 'GTSM (RFC 5082): send TTL 255, accept only 255 (a directly connected router)')
    .option('--password-file <path>', 'TCP-MD5 password (RFC 2385): the file holds it, one line')
    .option('--bind-interface <name>', 'bind the session to this interface or VRF device (SO_BINDTODEVICE)')
    .option('--graceful-restart [seconds]', 'advertise graceful restart (RFC 4724), restart time default 120')
    .option('--restarting', 'with --graceful-restart: set the Restart State bit (this run follows a restart)')
    .option(
      '--no-extended-messages',
      'do not offer RFC 8654 extended messages: UPDATEs stay within 4096 bytes',
    )
    .option(
      '--bfd',
      'run a BFD session with the router too (RFC 5880; multihop with --ebgp-multihop above 1)',
    )
    .option(
      '--bfd-min-receive <ms>',
      `with --bfd: Required Min RX Interval in ms (default ${BFD_DEFAULTS.minReceiveMs})`,
    )
    .option(
      '--bfd-min-transmit <ms>',
      `with --bfd: Desired Min TX Interval in ms (default ${BFD_DEFAULTS.minTransmitMs})`,
    )
    .option('--bfd-multiplier <n>', `with --bfd: Detect Mult 1..255 (default ${BFD_DEFAULTS.multiplier})`)
    .option('--json', 'print events as JSON lines')
    .addHelpText('after', EXAMPLES)
    // One line naming the bad option is enough; the full help is one --help away.
    .showHelpAfterError(false)
    .action(async (raw: RawAnnounceOptions) => {
      const [{ parseAnnounceOptions, UsageError }, { createEventWriter }, { runAnnounce }] =
        await Promise.all([import('./options.ts'), import('./output.ts'), import('./run.ts')]);
      const readFile = (path: string) => readFileSync(path, 'utf8');
      const fail = (err: unknown): never => {
        const message = err instanceof UsageError ? err.message : `unexpected error: ${String(err)}`;
        process.stderr.write(`heraldctl bgp announce: ${message}\n`);
        process.exit(err instanceof UsageError ? 2 : 1);
      };
      let plan: ReturnType<typeof parseAnnounceOptions>;
      try {
        plan = parseAnnounceOptions(raw, readFile);
      } catch (err) {
        return fail(err);
      }
      const emit = createEventWriter(plan.json, (line) => process.stdout.write(line));
      try {
        const code = await runAnnounce({ plan, replan: () => parseAnnounceOptions(raw, readFile), emit });
        process.exit(code);
      } catch (err) {
        emit('error', { message: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      }
    });
}
