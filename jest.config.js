// Two projects: `unit` (pure logic, fast, no privileges) and `e2e` (real kube-apiserver, etcd, helm and
// routers in network namespaces; run serially). Both run TypeScript through swc as native ESM, because
// @kubernetes/client-node is ESM-only; type checking is `tsc -b`, not the transform's job.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/src/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/e2e/src/jest-setup.ts'],
    },
  ],
};
