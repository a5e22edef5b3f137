// Our speaker as an operator would run it: `heraldctl bgp announce …` inside a node namespace, via
// `ip netns exec NS <node> packages/cli/src/main.ts`. Its stdout is JSON lines (session events,
// NOTIFICATIONs); the handle collects them and lets a test wait for one.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.ts';
import type { AddressFamily } from './routers/types.ts';
import type { LabNamespace } from './topology.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry; HERALD_CLI_ENTRY overrides (e.g. a scratch entry while sibling commands are unfinished). */
export const CLI_ENTRY = process.env.HERALD_CLI_ENTRY ?? `${REPO_ROOT}packages/cli/src/main.ts`;

export type HeraldEvent = Record<string, unknown> & { event?: string };

export interface HeraldProcess {
  readonly pid: number;
  readonly events: HeraldEvent[];
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first event (past or future) matching `predicate`. */
  waitForEvent(
    what: string,
    predicate: (e: HeraldEvent) => boolean,
    timeoutMs?: number,
  ): Promise<HeraldEvent>;
  /** Sends `sig` (default SIGTERM: graceful Cease) and waits for the exit. */
  stop(sig?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A built heraldctl (scripts/build-heraldctl.ts) to run instead of its sources under Node: the benchmarks set it
 * to measure the program as it ships (no type stripping at start).
 */
export const HERALDCTL_ENV = 'HERALD_E2E_HERALDCTL';

export function heraldCommand(ns: string, args: readonly string[]): { cmd: string; args: string[] } {
  const binary = process.env[HERALDCTL_ENV];
  const program = binary ? [binary] : [process.execPath, '--no-warnings', CLI_ENTRY];
  return { cmd: 'ip', args: ['netns', 'exec', ns, ...program, ...args] };
}

export function startHerald(lab: Lab | undefined, ns: string, args: readonly string[]): HeraldProcess {
  const { cmd, args: argv } = heraldCommand(ns, args);
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start heraldctl in ${ns}`);
  const pid = child.pid;
  lab?.track(pid);
  const events: HeraldEvent[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as HeraldEvent);
      } catch {
        events.push({ event: 'unparsed', line });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      lab?.untrack(pid);
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const handle: HeraldProcess = {
    pid,
    events,
    output: () => text,
    exited,
    waitForEvent(what, predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let from = 0;
        const check = () => {
          for (; from < events.length; from++) {
            const e = events[from];
            if (e && predicate(e)) {
              cleanup();
              resolve(e);
              return;
            }
          }
          if (done) {
            cleanup();
            reject(new Error(`heraldctl exited before ${what}; output:\n${text.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; heraldctl output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(sig = 'SIGTERM') {
      if (!done) child.kill(sig);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exited;
      clearTimeout(killer);
      return result;
    },
  };
  return handle;
}

export interface AnnounceSpec {
  node: LabNamespace;
  family: AddressFamily;
  localAsn: number;
  /** Default: the lab router's ASN. */
  peerAsn?: number | 'external' | 'internal';
  prefixes?: readonly string[];
  prefixesFile?: string;
  passive?: boolean;
  holdTime?: number;
  communities?: readonly string[];
  largeCommunities?: readonly string[];
  extendedCommunities?: readonly string[];
  localPref?: number;
  gracefulRestart?: number;
  restarting?: boolean;
  /** false: do not offer RFC 8654 extended messages (UPDATEs stay within 4096 bytes). */
  extendedMessages?: boolean;
  /** A file holding the TCP-MD5 password. */
  passwordFile?: string;
  ttlSecurity?: boolean;
  ebgpMultihop?: number;
  bindInterface?: string;
  /** Run BFD beside BGP (`--bfd`), with these timers in ms when given; multihop when ebgpMultihop > 1. */
  bfd?: { minReceive?: number; minTransmit?: number; multiplier?: number };
}

/** `heraldctl bgp announce` arguments for a speaker in `node` peering with the lab router. */
export function announceArgs(lab: Lab, spec: AnnounceSpec): string[] {
  const v4 = spec.family === 'ipv4';
  const local = v4 ? spec.node.ipv4 : spec.node.ipv6;
  const args = ['bgp', 'announce', '--json', '--local-asn', String(spec.localAsn)];
  args.push('--peer-address', v4 ? lab.routerIpv4 : lab.routerIpv6);
  args.push('--peer-asn', String(spec.peerAsn ?? lab.routerAsn), '--router-id', spec.node.ipv4);
  args.push('--local-address', local);
  if (spec.passive) args.push('--passive', '--listen-address', local);
  if (spec.holdTime !== undefined) args.push('--hold-time', String(spec.holdTime));
  for (const p of spec.prefixes ?? []) args.push('--prefix', p);
  if (spec.prefixesFile) args.push('--prefixes-file', spec.prefixesFile);
  for (const c of spec.communities ?? []) args.push('--community', c);
  for (const c of spec.largeCommunities ?? []) args.push('--large-community', c);
  for (const c of spec.extendedCommunities ?? []) args.push('--extended-community', c);
  if (spec.localPref !== undefined) args.push('--local-pref', String(spec.localPref));
  if (spec.gracefulRestart !== undefined) args.push('--graceful-restart', String(spec.gracefulRestart));
  if (spec.restarting) args.push('--restarting');
  if (spec.extendedMessages === false) args.push('--no-extended-messages');
  if (spec.passwordFile !== undefined) args.push('--password-file', spec.passwordFile);
  if (spec.ttlSecurity) args.push('--ttl-security');
  if (spec.ebgpMultihop !== undefined) args.push('--ebgp-multihop', String(spec.ebgpMultihop));
  if (spec.bindInterface !== undefined) args.push('--bind-interface', spec.bindInterface);
  if (spec.bfd) {
    args.push('--bfd');
    if (spec.bfd.minReceive !== undefined) args.push('--bfd-min-receive', String(spec.bfd.minReceive));
    if (spec.bfd.minTransmit !== undefined) args.push('--bfd-min-transmit', String(spec.bfd.minTransmit));
    if (spec.bfd.multiplier !== undefined) args.push('--bfd-multiplier', String(spec.bfd.multiplier));
  }
  return args;
}
