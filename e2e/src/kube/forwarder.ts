// A byte relay, run as its own process (so it keeps relaying while a test blocks its event loop in
// execFileSync): every connection accepted on --listen is joined to a new connection to --connect.
// Endpoints are `tcp:HOST:PORT` or `unix:PATH`. Prints "ready" on stdout once listening.
// The test bed runs one in the root namespace (unix socket → apiserver on 127.0.0.1) and one inside each
// node network namespace (127.0.0.1:PORT → that unix socket), because a namespace cannot reach the root
// namespace's loopback but does see unix sockets, which are files. TLS passes through untouched, so the
// apiserver's serving cert for 127.0.0.1 stays valid inside the namespace.
// Usage: node forwarder.ts --listen <endpoint> --connect <endpoint>
import { rmSync } from 'node:fs';
import { connect, createServer, type NetConnectOpts, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

type Endpoint = { path: string } | { host: string; port: number };

function parseEndpoint(text: string): Endpoint {
  if (text.startsWith('unix:')) return { path: text.slice('unix:'.length) };
  const tcp = /^tcp:(.+):(\d+)$/.exec(text);
  if (tcp) return { host: tcp[1]!, port: Number(tcp[2]) };
  throw new Error(`bad endpoint ${JSON.stringify(text)}: want tcp:HOST:PORT or unix:PATH`);
}

const { values } = parseArgs({ options: { listen: { type: 'string' }, connect: { type: 'string' } } });
if (!values.listen || !values.connect) {
  process.stderr.write('usage: forwarder.ts --listen <endpoint> --connect <endpoint>\n');
  process.exit(2);
}
const listenOn = parseEndpoint(values.listen);
const target: NetConnectOpts = { ...parseEndpoint(values.connect), allowHalfOpen: true };

function join(client: Socket): void {
  const upstream = connect(target);
  client.setNoDelay?.(true);
  upstream.setNoDelay?.(true);
  client.pipe(upstream);
  upstream.pipe(client);
  // Either side failing or closing ends the pair; the other side sees a reset like a dead apiserver.
  const teardown = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', teardown).on('close', teardown);
  upstream.on('error', (err) => {
    process.stderr.write(`forwarder: ${values.connect}: ${err.message}\n`);
    teardown();
  });
  upstream.on('close', teardown);
}

const server = createServer({ allowHalfOpen: true }, join);
server.on('error', (err) => {
  process.stderr.write(`forwarder: listen ${values.listen}: ${err.message}\n`);
  process.exit(1);
});
if ('path' in listenOn) rmSync(listenOn.path, { force: true }); // a stale socket file blocks listen
server.listen(listenOn, () => process.stdout.write('ready\n'));
// Open connections (watches) would keep server.close() waiting forever: exit at once.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
