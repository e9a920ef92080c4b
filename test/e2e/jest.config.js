// Jest config of `npm run e2e` (test/e2e/*.e2e.test.ts, against real API servers): the default config that projen
// writes into package.json, with its own test match, no coverage and its own JUnit file.
const path = require('path');
const base = require('../../package.json').jest;

module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '..', '..'),
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  collectCoverage: false,
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports', outputName: 'e2e-junit.xml' }]],
};
