// A persistent connection to one FRR daemon's vty Unix socket — what vtysh does internally. Each command is
// sent NUL-terminated; the daemon answers with the output followed by three NUL bytes and a status byte.
// Starting vtysh per query costs ~10 ms and a process; this costs one round trip, so a benchmark can poll
// bgpd every few milliseconds. (Unix sockets cross network namespaces: bgpd's socket is a file.)
import { connect, type Socket } from 'node:net';

export class FrrVtyClient {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private pending: { resolve: (out: string) => void; reject: (err: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('error', (err) => this.pending?.reject(err));
    socket.on('close', () => this.pending?.reject(new Error('vty socket closed')));
  }

  static open(socketPath: string): Promise<FrrVtyClient> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath);
      s.once('connect', () => resolve(new FrrVtyClient(s)));
      s.once('error', reject);
    });
  }

  private drain(): void {
    for (let i = 0; i + 3 < this.buffer.length; i++) {
      if (this.buffer[i] === 0 && this.buffer[i + 1] === 0 && this.buffer[i + 2] === 0) {
        const out = this.buffer.subarray(0, i).toString('utf8');
        const status = this.buffer[i + 3]!;
        this.buffer = this.buffer.subarray(i + 4);
        const p = this.pending;
        this.pending = undefined;
        if (status === 0) p?.resolve(out);
        else p?.reject(new Error(`vty command failed (status ${status}): ${out.trim()}`));
        return;
      }
    }
  }

  /** Runs one command; calls are serialised on the connection. */
  command(line: string): Promise<string> {
    const run = () =>
      new Promise<string>((resolve, reject) => {
        this.pending = { resolve, reject };
        this.socket.write(Buffer.concat([Buffer.from(line, 'utf8'), Buffer.from([0])]));
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async json<T>(line: string): Promise<T> {
    return JSON.parse(await this.command(line)) as T;
  }

  close(): void {
    this.socket.destroy();
  }
}
