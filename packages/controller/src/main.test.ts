import { loadedModules } from '@herald/kube';

test('the controller loads no Kubernetes client library, only its own HTTP client', () => {
  const main = new URL('./main.ts', import.meta.url).pathname;
  const loaded = loadedModules([main, '--help']);
  expect(loaded.some((u) => u.endsWith('/controller/src/controller.ts'))).toBe(true);
  expect(loaded.some((u) => u.endsWith('/kube/src/api/client.ts'))).toBe(true);
  expect(loaded.filter((u) => /node_modules\/(@kubernetes\/client-node|undici)\//.test(u))).toEqual([]);
});
