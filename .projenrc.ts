import { cdk8s, javascript } from 'projen';

// client-node 1.x and a few of its dependencies ship ES modules only; jest transforms them to CommonJS.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-kubesphere-federation',
  description: 'KubeSphere v3.4 multi-cluster federation as cdk8s constructs: one folder of manifests per cluster, and ksfed to apply them.',
  author: 'Seed 01c9e78c maintainers',
  authorAddress: 'maintainers@users.noreply.b-seed-01c9e78c.example',
  repositoryUrl: 'https://example.com/cdk8s-kubesphere-federation.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  keywords: ['cdk8s', 'kubesphere', 'kubefed', 'multi-cluster', 'federation', 'gitops'],

  cdk8sVersion: '2.70.106',
  constructsVersion: '10.8.1',
  jsiiVersion: '~6.0.0',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  // Non-jsii runtime dependencies must be bundled (jsii refuses them as plain deps).
  bundledDeps: ['@kubernetes/client-node@1.4.0', 'js-yaml@^4.1.0'],
  devDeps: ['cdk8s-cli@2.207.60', 'yaml@^2.9.1', '@types/js-yaml@^4.0.9'],
  bin: { ksfed: 'lib/cli.js' },
  minNodeVersion: '20.19.0',
  tsconfig: { compilerOptions: { module: 'node20' } },
  typecheckTests: true,

  jestOptions: {
    // Snapshots never self-update: `npm test` runs jest --ci; `npx projen test:update` rewrites them.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // test/e2e needs the real engines built with Go: `npm run e2e` runs it (test/e2e/jest.config.js).
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/examples/.*/dist/', '/test/e2e/'],
      modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/examples/.*/dist/'],
      transform: {
        '^.+\\.js$': new javascript.Transform('ts-jest', { tsconfig: { allowJs: true }, isolatedModules: true }),
      },
      transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
    },
  },

  gitignore: ['/examples/*/dist/', '/benchmarks/out/', '*.kubeconfig'],
  github: false,
  release: false,
});

// npm ci fails on this registry mirror (the lockfile lacks other platforms' optional binaries).
project.tasks.tryFind('install:ci')?.reset('npm install --no-audit --no-fund');
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.package.addField('allowScripts', { '@parcel/watcher': false, 'backport': false });

// The newcomer's first command: synthesize the quickstart fleet and show what each cluster gets.
project.addTask('quickstart', {
  description: 'Synthesize examples/quickstart into examples/quickstart/dist and summarize it',
  exec: 'ts-node --transpile-only --project examples/tsconfig.json examples/quickstart/run.ts',
});

project.addTask('bench:synth', {
  description: 'Synth benchmark: fleets of 1 host + 10/100/1000 members (see benchmarks/README.md)',
  exec: 'TS_NODE_PROJECT=examples/tsconfig.json node -r ts-node/register/transpile-only benchmarks/synth.ts',
});

project.addTask('bench:apply', {
  description: 'Apply benchmark: ksfed vs kubectl --server-side on a 10-member sandbox fleet (see benchmarks/README.md)',
  exec: 'TS_NODE_PROJECT=examples/tsconfig.json node -r ts-node/register/transpile-only benchmarks/apply.ts',
  receiveArgs: true,
});

// End-to-end tests against real kube-apiservers, kube-controller-managers and KubeFed (src/real-fleet), built from
// source with Go by e2e/build.sh (KSFED_E2E_BIN, when set, is both where it builds and where the tests look).
project.addTask('e2e', {
  description: 'Build the real engines with Go (e2e/build.sh), then run test/e2e/*.e2e.test.ts against them',
  steps: [
    { exec: 'bash e2e/build.sh' },
    { exec: 'jest --config test/e2e/jest.config.js --ci --runInBand', receiveArgs: true },
  ],
});

project.synth();
