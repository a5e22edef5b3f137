// The speaker runs on every node, so what it loads at start-up is paid on every node (docs/performance.md).
import { loadedModules } from '@herald/kube';

test('the speaker loads no Kubernetes client library, only its own HTTP client', () => {
  const main = new URL('./main.ts', import.meta.url).pathname;
  const loaded = loadedModules([main, '--help']);
  // The whole program graph was loaded (app.ts is a static import of main.ts) ...
  expect(loaded.some((u) => u.endsWith('/speaker/src/app.ts'))).toBe(true);
  expect(loaded.some((u) => u.endsWith('/kube/src/api/client.ts'))).toBe(true);
  // ... and none of client-node's ~900 generated modules, nor undici.
  expect(loaded.filter((u) => /node_modules\/(@kubernetes\/client-node|undici)\//.test(u))).toEqual([]);
});
