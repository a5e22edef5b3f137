/**
 * worker_thread entry of the BFD engine (client.ts starts it). The thread has its own event loop, timers,
 * heap and garbage collector, and its own copy of the socket layer (the module the program named, imported
 * here): a pause of the main thread delays nothing here. Commands arrive as messages; events go back the same
 * way (messages posted while the layer loads wait in the port).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BfdEngine } from './engine.ts';
import type { BfdCommand } from './protocol.ts';
import { importUdpSocketLayer, udpTransport } from './udp-transport.ts';

interface WorkerOptions {
  /** URL of the module exporting the UDP socket layer (`openUdpSocket`). */
  readonly udpModule: string;
  readonly controlPlaneTimeoutMs: number;
  readonly snapshotIntervalMs: number;
}

const port = parentPort;
if (!port) throw new Error('the BFD worker must run in a worker_thread');
const options = workerData as WorkerOptions;
const engine = new BfdEngine({
  transport: udpTransport(await importUdpSocketLayer(options.udpModule)),
  emit: (event) => port.postMessage(event),
  controlPlaneTimeoutMs: options.controlPlaneTimeoutMs,
  snapshotIntervalMs: options.snapshotIntervalMs,
});
port.on('message', (command: BfdCommand) => engine.command(command));
