// The lab's "pod": an HTTP server inside a node's pod namespace (`ip netns exec POD-NS node pod-server.ts …`),
// on the address its EndpointSlices name. It answers every request with its name (`pod-<node>`), so a client
// sees which pod — and so which node — kube-proxy sent its connection to. Prints {"event":"ready"} once
// listening. Usage: node pod-server.ts --name pod-node-1 --address 198.19.1.10 [--port 8080]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    address: { type: 'string' },
    port: { type: 'string', default: '8080' },
  },
});
if (!values.name || !values.address) {
  process.stderr.write('usage: pod-server.ts --name NAME --address IP [--port 8080]\n');
  process.exit(2);
}
const name = values.name;
const server = createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.setHeader('X-Herald-Pod', name);
  // Where the connection came from after kube-proxy's NAT: the client, or a node that masqueraded it.
  res.setHeader('X-Herald-Peer', req.socket.remoteAddress ?? '');
  res.end(`${name}\n`);
});
server.listen({ host: values.address, port: Number(values.port) }, () => {
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', name, address: values.address, port: values.port })}\n`,
  );
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
