// The jest configuration every package shares (packages/*/jest.config.js) and test/e2e/jest.config.js extends.
// Package names resolve to the packages' sources, so tests need no build; `npm run build` is for the CLI and
// the examples run by ts-node.
const path = require('path');

// client-node 1.x and a few of its dependencies ship ES modules only; jest transforms them to CommonJS.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
const packages = path.join(__dirname, 'packages');

/** The jest config of the tests under `dir` (a package, or test/e2e), type-checked with `tsconfig`. */
module.exports = function sharedConfig(dir, tsconfig = path.join(dir, 'test', 'tsconfig.json')) {
  return {
    // (`npx jest --selectProjects ksfed` runs one package's tests)
    displayName: path.basename(dir),
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    // test/e2e needs the real engines built with Go: `npm run e2e` runs it (test/e2e/jest.config.js).
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '/examples/.*/dist/', '/test/e2e/'],
    modulePathIgnorePatterns: ['<rootDir>/dist/', '/examples/.*/dist/'],
    moduleNameMapper: {
      '^(cdk8s-kubesphere-federation|ksfed-sandbox|ksfed)$': `${packages}/$1/src`,
      '^(cdk8s-kubesphere-federation|ksfed-sandbox|ksfed)/lib/(.*)$': `${packages}/$1/src/$2`,
    },
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig }],
      '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true }, isolatedModules: true }],
    },
    transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
    clearMocks: true,
    watchPathIgnorePatterns: ['/node_modules/'],
  };
};
