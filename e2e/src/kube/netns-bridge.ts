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
  /** Port to listen on inside the namespace; default the apiserver's own port. */
  port?: number;
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
  readonly #socket: string;
  #rootRelay: Promise<ManagedProcess> | undefined;
  #rootRelayProcess: ManagedProcess | undefined;
  readonly #forwarders = new Set<ManagedProcess>();

  constructor(opts: { dir: string; apiserverPort: number; startTimeoutMs?: number | undefined }) {
    this.#dir = opts.dir;
    this.#apiserverPort = opts.apiserverPort;
    this.#timeoutMs = opts.startTimeoutMs ?? 15_000;
    this.#socket = join(opts.dir, 'apiserver.sock');
  }

  async startForwarder(netns: string, opts: NetnsForwarderOptions = {}): Promise<NetnsForwarder> {
    this.#rootRelay ??= startRelay(
      'apiserver unix-socket relay',
      [],
      `unix:${this.#socket}`,
      `tcp:127.0.0.1:${this.#apiserverPort}`,
      join(this.#dir, 'relay.log'),
      this.#dir,
      this.#timeoutMs,
    );
    this.#rootRelayProcess = await this.#rootRelay;
    const lo = spawnSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (lo.status !== 0) {
      throw new Error(`cannot bring up lo in netns ${netns}: ${lo.error?.message ?? lo.stderr.trim()}`);
    }
    const port = opts.port ?? this.#apiserverPort;
    const proc = await startRelay(
      `apiserver forwarder in netns ${netns}`,
      ['ip', 'netns', 'exec', netns],
      `tcp:127.0.0.1:${port}`,
      `unix:${this.#socket}`,
      join(this.#dir, `forwarder-${netns}.log`),
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

  /** The root relay (once started) and the running forwarders. */
  processes(): ManagedProcess[] {
    return [...(this.#rootRelayProcess ? [this.#rootRelayProcess] : []), ...this.#forwarders];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#forwarders].map((p) => p.stop({ graceMs: 2_000 })));
    const relay = await this.#rootRelay?.catch(() => undefined);
    await relay?.stop({ graceMs: 2_000 });
  }
}
