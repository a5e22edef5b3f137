import type { V1Node } from '@kubernetes/client-node';
import { nodeChanged, slimNode } from './nodes.ts';

const full: V1Node = {
  metadata: { name: 'n', uid: 'u1', resourceVersion: '1', labels: { zone: 'a' }, managedFields: [{}] },
  spec: { podCIDR: '10.244.0.0/24' },
  status: {
    addresses: [{ type: 'InternalIP', address: '203.0.113.11' }],
    conditions: [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: new Date(1) },
      { type: 'Ready', status: 'True', lastHeartbeatTime: new Date(1), reason: 'KubeletReady' },
      { type: 'NetworkUnavailable', status: 'False', lastHeartbeatTime: new Date(1) },
    ],
    images: [{ names: ['x'], sizeBytes: 1 }],
  },
};

test('slimNode keeps what Herald decisions read; a heartbeat is not a change, a cordon or label is', () => {
  const slim = slimNode(full);
  expect(slim).toEqual({
    metadata: { name: 'n', uid: 'u1', resourceVersion: '1', labels: { zone: 'a' } },
    spec: {},
    status: {
      addresses: [{ type: 'InternalIP', address: '203.0.113.11' }],
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'NetworkUnavailable', status: 'False' },
      ],
    },
  });
  const beat = slimNode({
    ...full,
    metadata: { ...full.metadata, resourceVersion: '2' },
    status: {
      ...full.status,
      conditions: [
        { type: 'Ready', status: 'True', lastHeartbeatTime: new Date(2) },
        { type: 'NetworkUnavailable', status: 'False', lastHeartbeatTime: new Date(2) },
      ],
      images: [],
    },
  });
  expect(nodeChanged(slim, beat)).toBe(false);
  expect(nodeChanged(slim, slimNode({ ...full, spec: { unschedulable: true } }))).toBe(true);
  expect(nodeChanged(slim, slimNode({ ...full, metadata: { ...full.metadata, labels: {} } }))).toBe(true);
  expect(nodeChanged(undefined, slim)).toBe(true);
  expect(nodeChanged(slim, undefined)).toBe(true);
});
