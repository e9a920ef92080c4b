// Jest config of `npm run e2e` (test/e2e/*.e2e.test.ts, against real API servers built with Go by e2e/build.sh).
const path = require('path');
const shared = require('../../jest.shared.js');

const root = path.resolve(__dirname, '..', '..');
module.exports = {
  ...shared(root, path.join(__dirname, 'tsconfig.json')),
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports', outputName: 'e2e-junit.xml' }]],
};
