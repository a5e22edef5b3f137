// Entry of the layer-2 worker thread (started by announcer.ts): one L2Driver, fed by the main thread's
// messages (protocol.ts). Never throws into the void: a failure is reported to the main thread, which logs
// it and restarts the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { L2Driver } from './driver.ts';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('l2/worker.ts runs as a worker thread only');
const emit = (m: FromWorker) => port.postMessage(m);
const driver = new L2Driver(workerData as WorkerConfig, emit);
// Messages wait in the port until the listener below is attached: the sockets are open by then.
await driver.start();

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'keys':
      driver.setKeys(m.keys);
      return;
    case 'members':
      driver.setMembers(m.members);
      return;
    case 'assignments':
      driver.setAssignments(m.assignments, m.synced);
      return;
    case 'leave':
      void driver.leave().then((handedOver) => {
        emit({ type: 'state', state: driver.state() });
        emit({ type: 'left', handedOver });
      });
      return;
    case 'stop':
      driver.stop();
      port.close();
      return;
  }
});
