// `heraldctl bgp …`: peering tools for operators, to test a router's BGP configuration before installing
// Herald. Usage errors print one line naming the option and exit 2.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseAnnounceOptions, type RawAnnounceOptions, UsageError } from './options.ts';
import { createEventWriter } from './output.ts';
import { runAnnounce } from './run.ts';

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

  # iBGP with LOCAL_PREF, graceful restart capability (restart time 120 s)
  heraldctl bgp announce --local-asn 64512 --peer-address 203.0.113.1 --peer-asn internal \\
    --local-address 203.0.113.11 --prefix 198.51.100.10/32 --local-pref 200 --graceful-restart

Signals: SIGINT/SIGTERM send Cease (Administrative Shutdown) and exit 0; SIGHUP re-reads --prefixes-file
and announces/withdraws the difference. Exit status 2 means a bad argument.
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
    .option('--local-pref <n>', 'LOCAL_PREF (iBGP only)')
    .option('--med <n>', 'MULTI_EXIT_DISC')
    .option('--multihop <ttl>', 'eBGP multihop TTL 1..255')
    .option('--graceful-restart [seconds]', 'advertise graceful restart (RFC 4724), restart time default 120')
    .option('--restarting', 'with --graceful-restart: set the Restart State bit (this run follows a restart)')
    .option(
      '--no-extended-messages',
      'do not offer RFC 8654 extended messages: UPDATEs stay within 4096 bytes',
    )
    .option('--json', 'print events as JSON lines')
    .addHelpText('after', EXAMPLES)
    // One line naming the bad option is enough; the full help is one --help away.
    .showHelpAfterError(false)
    .action(async (raw: RawAnnounceOptions) => {
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
