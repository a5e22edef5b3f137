// An HTTP client for the lab's client namespace (`ip netns exec CLIENT-NS node http-probe.ts …`): opens a
// NEW TCP connection per request (no keep-alive, so each one gets a fresh source port and the router hashes
// it afresh), and counts which node answered. Prints one JSON summary line on exit:
//   {"ok":N,"failed":N,"byNode":{"node-0":N,…},"errors":["…"]}
// --count N: N requests then exit. --until-signal: keep going (every --interval ms) until SIGTERM/SIGINT,
// then print the summary — the "curl loop" that must keep succeeding while a speaker restarts.
// --concurrent: start a request every --interval ms without waiting for the one before (a client that keeps
// opening connections while the service is down), and --timeline: add every request to the summary as
// [start ms since the epoch, 1 ok / 0 failed, duration ms, why it failed] — what failover measurements are
// computed from.
// Usage: node http-probe.ts --url http://198.51.100.1/ (--count 60 | --until-signal) [--timeout 2000]
import { request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string' },
    'until-signal': { type: 'boolean', default: false },
    interval: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '2000' },
    concurrent: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
});
if (!values.url || (values.count === undefined && !values['until-signal'])) {
  process.stderr.write('usage: http-probe.ts --url URL (--count N | --until-signal) [--timeout MS]\n');
  process.exit(2);
}
const url = values.url;
const timeoutMs = Number(values.timeout);

const summary = {
  ok: 0,
  failed: 0,
  byNode: {} as Record<string, number>,
  errors: [] as string[],
  ...(values.timeline ? { timeline: [] as Array<[number, 0 | 1, number, string?]> } : {}),
};

function once(): Promise<void> {
  const started = Date.now();
  const record = (ok: 0 | 1, why?: string) =>
    summary.timeline?.push(
      ok ? [started, ok, Date.now() - started] : [started, ok, Date.now() - started, why],
    );
  return new Promise((resolve) => {
    const fail = (why: string) => {
      summary.failed += 1;
      if (summary.errors.length < 20) summary.errors.push(why);
      record(0, why);
      resolve();
    };
    const req = request(
      url,
      { agent: false, timeout: timeoutMs, headers: { Connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
          const node = body.trim();
          record(1);
          summary.ok += 1;
          summary.byNode[node] = (summary.byNode[node] ?? 0) + 1;
          resolve();
        });
        res.on('error', (err) => fail(err.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => fail(err.message));
    req.end();
  });
}

let stop = false;
const finish = () => {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
};
if (values['until-signal']) {
  // Finish the request in flight, then report: a signal must not count as a failed request.
  process.once('SIGTERM', () => {
    stop = true;
  });
  process.once('SIGINT', () => {
    stop = true;
  });
  process.stdout.write('started\n');
  const inFlight = new Set<Promise<void>>();
  while (!stop) {
    const p = once();
    if (values.concurrent) {
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    } else await p;
    await new Promise((r) => setTimeout(r, Number(values.interval)));
  }
  await Promise.all(inFlight);
  finish();
} else {
  for (let i = 0; i < Number(values.count); i++) await once();
  finish();
}
