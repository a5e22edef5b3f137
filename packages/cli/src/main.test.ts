// heraldctl loads a command's implementation only when that command runs: `bgp announce` (the peering test
// an operator runs on a router's neighbour) must not pay for the Kubernetes client, YAML or the converter.
import { loadedModules } from '@herald/kube';

const main = new URL('./main.ts', import.meta.url).pathname;

test('heraldctl bgp announce --help loads the BGP command, not the Kubernetes client or YAML', () => {
  const loaded = loadedModules([main, 'bgp', 'announce', '--help']);
  expect(loaded.some((u) => u.endsWith('/cli/src/bgp/command.ts'))).toBe(true);
  expect(loaded.filter((u) => /node_modules\/(@kubernetes\/client-node|undici|yaml)\//.test(u))).toEqual([]);
  expect(loaded.filter((u) => /\/cli\/src\/(migrate|config)\/(run|validate|convert)\.ts$/.test(u))).toEqual(
    [],
  );
});
