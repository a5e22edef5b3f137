// Native socket layer benchmark (@herald/native): what loading costs, and why AF_PACKET (and BFD's UDP)
// sockets are read through uv_poll rather than by a blocking read. Needs root (network namespaces).
// Run: npm run bench:native -w bench   (take the machine-wide lock: flock /tmp/herald-e2e.lock …)
//
//   1. load: time and RSS added by nativeSupport() (koffi + glibc + bindings) in fresh processes;
//   2. a blocking read on the event-loop thread: how long the loop stalls while frames arrive every 100 ms;
//   3. blocking reads through the libuv threadpool (fs.read on a blocking AF_PACKET fd, one per socket):
//      latency of an unrelated fs.readFile with 0–4 idle sockets waiting (the pool has 4 threads);
//   4. the uv_poll loop @herald/native uses: loop delay with 4 idle sockets, then main-thread time per
//      frame under a flood of frames from another thread.
import { spawnSync } from 'node:child_process';
import { read } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { NamespaceLab } from '@herald/e2e';
import { inNetworkNamespace, openPacketSocket, type PacketSocket } from '@herald/native';

/** IEEE 802 "local experimental" EtherType: no kernel protocol handles it, so only our sockets see it. */
const ETHERTYPE = 0x88b5;
const FRAMES = Number(process.env.HERALD_BENCH_FRAMES ?? 50_000);

function frame(src: string, seq: number): Buffer {
  const f = Buffer.alloc(64);
  f.fill(0xff, 0, 6);
  Buffer.from(src.split(':').map((h) => Number.parseInt(h, 16))).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE, 12);
  f.writeUInt32BE(seq, 14);
  return f;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

// Worker: sends frames from namespace B (a separate thread, so the main thread's loop is what we measure).
if (!isMainThread) {
  const { ns, src, count, intervalMs } = workerData as {
    ns: string;
    src: string;
    count: number;
    intervalMs: number;
  };
  const socket = inNetworkNamespace(ns, () => openPacketSocket({ device: 'b0', protocol: ETHERTYPE }));
  let sent = 0;
  const burst = () => {
    while (sent < count) {
      try {
        socket.send(frame(src, sent));
        sent++;
      } catch {
        setImmediate(burst); // ENOBUFS/EAGAIN: let the receiver catch up
        return;
      }
      if (intervalMs > 0) {
        setTimeout(burst, intervalMs);
        return;
      }
    }
    socket.close();
    parentPort!.postMessage('done');
  };
  burst();
} else {
  await main();
}

/** Sends `count` frames from namespace B in a worker thread; `done` resolves when all are sent. */
function startSender(lab: NamespaceLab, src: string, count: number, intervalMs: number) {
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { ns: lab.ns('B'), src, count, intervalMs },
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return { done: done.finally(() => worker.terminate()), stop: () => worker.terminate() };
}

function measureLoad(): void {
  const script = `
    import { nativeSupport } from '@herald/native';
    const rss0 = process.memoryUsage().rss, t0 = performance.now();
    const support = nativeSupport();
    const t1 = performance.now(), rss1 = process.memoryUsage().rss;
    console.log(JSON.stringify({ support, ms: t1 - t0, rssMiB: (rss1 - rss0) / 1048576 }));`;
  const runs = Array.from({ length: 7 }, () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { support: { ok: boolean }; ms: number; rssMiB: number };
  });
  if (!runs.every((r) => r.support.ok)) throw new Error('nativeSupport() is not ok here');
  console.log(
    `1. load (nativeSupport(), 7 fresh processes): median ${ms(median(runs.map((r) => r.ms)))}, RSS added median ${median(runs.map((r) => r.rssMiB)).toFixed(1)} MiB`,
  );
}

async function main(): Promise<void> {
  measureLoad();
  const lab = await NamespaceLab.create(['A', 'B']);
  try {
    await lab.link('A', 'a0', 'B', 'b0');
    const bMac = await lab.macOf('B', 'b0');

    // Blocking AF_PACKET sockets, made with koffi directly: @herald/native only makes non-blocking ones.
    const koffi = createRequire(fileURLToPath(import.meta.resolve('@herald/native')))('koffi') as {
      load(path: string): { func(sig: string): (...args: unknown[]) => number };
    };
    const libc = koffi.load('libc.so.6');
    const socket = libc.func('int socket(int, int, int)');
    const bind = libc.func('int bind(int, const void *, uint32_t)');
    const recv = libc.func('intptr_t recv(int, void *, size_t, int)');
    const close = libc.func('int close(int)');
    const ifindex = (JSON.parse(await lab.ip('A', '-j', 'link', 'show', 'a0')) as { ifindex: number }[])[0]!
      .ifindex;
    const blockingSocket = () =>
      inNetworkNamespace(lab.ns('A'), () => {
        const fd = socket(17, 3, 0); // AF_PACKET, SOCK_RAW (blocking), protocol 0 until bound
        const sll = Buffer.alloc(20);
        sll.writeUInt16LE(17, 0);
        sll.writeUInt16BE(ETHERTYPE, 2);
        sll.writeInt32LE(ifindex, 4);
        if (fd < 0 || bind(fd, sll, 20) !== 0) throw new Error('cannot open a blocking AF_PACKET socket');
        return fd;
      });

    // 2. Blocking recv on the event-loop thread.
    {
      const fd = blockingSocket();
      const sender = startSender(lab, bMac, 10, 100);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const buf = Buffer.alloc(2048);
      const timer = setInterval(() => undefined, 5);
      for (let i = 0; i < 10; i++) {
        recv(fd, buf, buf.length, 0);
        await new Promise((r) => setImmediate(r));
      }
      clearInterval(timer);
      delay.disable();
      await sender.done;
      close(fd);
      console.log(
        `2. blocking recv on the event-loop thread, a frame every 100 ms: loop delay p50 ${ms(delay.percentile(50) / 1e6)}, max ${ms(delay.max / 1e6)} (the loop is stalled for the whole gap between frames)`,
      );
    }

    // 3. Blocking reads in the threadpool (fs.read on a blocking fd).
    {
      const rows: string[] = [];
      const sender = startSender(lab, bMac, 1_000_000, 250);
      for (const idle of [0, 1, 3, 4]) {
        const fds = Array.from({ length: idle }, blockingSocket);
        let stop = false;
        const pending = fds.map(
          (fd) =>
            new Promise<void>((resolve) => {
              const again = () => (stop ? resolve() : read(fd, Buffer.alloc(2048), 0, 2048, null, again));
              again();
            }),
        );
        await sleep(20);
        const latencies: number[] = [];
        for (let i = 0; i < 8; i++) {
          const t0 = performance.now();
          await readFile('/proc/self/stat');
          latencies.push(performance.now() - t0);
          await sleep(30);
        }
        stop = true;
        await Promise.all(pending); // each returns with the next frame
        for (const fd of fds) close(fd);
        rows.push(`${idle} idle: median ${ms(median(latencies))}, max ${ms(Math.max(...latencies))}`);
      }
      console.log(
        `3. fs.readFile latency while N blocking AF_PACKET reads hold threadpool threads (frames every 250 ms): ${rows.join('; ')}`,
      );
      await sender.stop();
    }

    // 4. The uv_poll loop of @herald/native.
    {
      const sockets: PacketSocket[] = Array.from({ length: 4 }, () =>
        lab.inside('A', () => openPacketSocket({ device: 'a0', protocol: ETHERTYPE })),
      );
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const t0 = performance.now();
      await readFile('/proc/self/stat');
      const readFileMs = performance.now() - t0;
      await sleep(1000);
      delay.disable();
      let received = 0;
      sockets[0]!.on('frame', () => received++);
      for (const s of sockets.slice(1)) s.close();
      const linkDrops = async () => {
        const [a0] = JSON.parse(await lab.ip('A', '-s', '-j', 'link', 'show', 'a0')) as {
          stats64: { rx: { dropped: number } };
        }[];
        const [b0] = JSON.parse(await lab.ip('B', '-s', '-j', 'link', 'show', 'b0')) as {
          stats64: { tx: { dropped: number } };
        }[];
        return a0!.stats64.rx.dropped + b0!.stats64.tx.dropped;
      };
      const drops0 = await linkDrops();
      const elu0 = performance.eventLoopUtilization();
      const t1 = performance.now();
      await startSender(lab, bMac, FRAMES, 0).done;
      await sleep(200);
      const elu = performance.eventLoopUtilization(elu0);
      const seconds = (performance.now() - t1) / 1000;
      sockets[0]!.close();
      const dropped = (await linkDrops()) - drops0;
      console.log(
        `4. uv_poll (@herald/native): with 4 idle sockets fs.readFile ${ms(readFileMs)}, loop delay max ${ms(delay.max / 1e6)} over 1 s; ` +
          `flood of ${FRAMES} frames from another thread: ${received} received in ${seconds.toFixed(2)} s ` +
          `(${dropped} dropped by the veth pair, ${FRAMES - received - dropped} by the full socket buffer), ` +
          `main-thread busy ${((elu.active / Math.max(received, 1)) * 1000).toFixed(2)} µs per frame (ELU ${(elu.utilization * 100).toFixed(0)} %)`,
      );
    }
  } finally {
    await lab.destroy();
  }
  process.exit(0);
}
