// Reaching the apiserver from inside network namespaces. A namespace cannot reach the root namespace's
// 127.0.0.1, but unix sockets are files and cross namespaces. So: one relay in the root namespace serves
// DIR/apiserver.sock → 127.0.0.1:APISERVER_PORT, and one forwarder per namespace listens on that
// namespace's 127.0.0.1:PORT → DIR/apiserver.sock. No lab address ever appears in the root namespace,
// and TLS passes through, so the serving cert for 127.0.0.1 stays valid.
// Both relays are separate processes (forwarder.ts): a test blocked in execFileSync (say, `ip netns exec
// NS curl ...`) must not stall the traffic it waits for.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type ManagedProcess, spawnManaged } from './processes.ts';

export interface NetnsForwarderOptions {
  /** Port to listen on inside the namespace; default the port reached (`target`). */
  port?: number;
  /**
   * The root namespace's 127.0.0.1 port to reach; default the apiserver's. Another port (a program's metrics
   * port) gets its own root relay and socket.
   */
  target?: number;
}

export interface NetnsForwarder {
  readonly netns: string;
  readonly port: number;
  /** https://127.0.0.1:PORT — valid inside the namespace. */
  readonly server: string;
  readonly pid: number;
  /** Stops the forwarder process. Idempotent. */
  stop(): Promise<void>;
}

const FORWARDER = new URL('./forwarder.ts', import.meta.url).pathname;

/** Starts forwarder.ts and waits for its "ready" line (or fails with its log). */
async function startRelay(
  name: string,
  commandPrefix: string[],
  listen: string,
  connect: string,
  logPath: string,
  ownerDir: string,
  timeoutMs: number,
): Promise<ManagedProcess> {
  const argv = [...commandPrefix, process.execPath, FORWARDER, '--listen', listen, '--connect', connect];
  const proc = await spawnManaged({
    name,
    command: argv[0]!,
    args: argv.slice(1),
    logPath,
    ownerDir,
    stdout: 'pipe',
  });
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(false), timeoutMs);
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void proc.exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    await proc.stop({ signal: 'SIGKILL' });
    throw new Error(`${name} did not start; last lines of ${logPath}:\n${proc.logTail(20)}`);
  }
  return proc;
}

export class NetnsBridge {
  readonly #dir: string;
  readonly #apiserverPort: number;
  readonly #timeoutMs: number;
  /** Root relays by the 127.0.0.1 port they reach. */
  readonly #rootRelays = new Map<number, Promise<ManagedProcess>>();
  readonly #rootRelayProcesses = new Set<ManagedProcess>();
  readonly #forwarders = new Set<ManagedProcess>();

  constructor(opts: { dir: string; apiserverPort: number; startTimeoutMs?: number | undefined }) {
    this.#dir = opts.dir;
    this.#apiserverPort = opts.apiserverPort;
    this.#timeoutMs = opts.startTimeoutMs ?? 15_000;
  }

  #socketFor(target: number): string {
    return join(this.#dir, target === this.#apiserverPort ? 'apiserver.sock' : `port-${target}.sock`);
  }

  async startForwarder(netns: string, opts: NetnsForwarderOptions = {}): Promise<NetnsForwarder> {
    const target = opts.target ?? this.#apiserverPort;
    const what = target === this.#apiserverPort ? 'apiserver' : `127.0.0.1:${target}`;
    const socket = this.#socketFor(target);
    let relay = this.#rootRelays.get(target);
    if (relay === undefined) {
      relay = startRelay(
        `${what} unix-socket relay`,
        [],
        `unix:${socket}`,
        `tcp:127.0.0.1:${target}`,
        join(this.#dir, target === this.#apiserverPort ? 'relay.log' : `relay-${target}.log`),
        this.#dir,
        this.#timeoutMs,
      );
      this.#rootRelays.set(target, relay);
    }
    const relayProcess = await relay;
    this.#rootRelayProcesses.add(relayProcess);
    const lo = spawnSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (lo.status !== 0) {
      throw new Error(`cannot bring up lo in netns ${netns}: ${lo.error?.message ?? lo.stderr.trim()}`);
    }
    const port = opts.port ?? target;
    const proc = await startRelay(
      `${what} forwarder in netns ${netns}`,
      ['ip', 'netns', 'exec', netns],
      `tcp:127.0.0.1:${port}`,
      `unix:${socket}`,
      join(this.#dir, `forwarder-${netns}-${port}.log`),
      this.#dir,
      this.#timeoutMs,
    );
    this.#forwarders.add(proc);
    void proc.exited.then(() => this.#forwarders.delete(proc));
    return {
      netns,
      port,
      server: `https://127.0.0.1:${port}`,
      pid: proc.pid,
      stop: async () => {
        await proc.stop({ graceMs: 2_000 });
      },
    };
  }

  /** The root relays (once started) and the running forwarders. */
  processes(): ManagedProcess[] {
    return [...this.#rootRelayProcesses, ...this.#forwarders];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#forwarders].map((p) => p.stop({ graceMs: 2_000 })));
    const relays = await Promise.all([...this.#rootRelays.values()].map((r) => r.catch(() => undefined)));
    await Promise.all(relays.map((r) => r?.stop({ graceMs: 2_000 })));
  }
}
