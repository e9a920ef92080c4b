// `npm test` runs every package's tests in one jest run (test/e2e has its own config: `npm run e2e`).
module.exports = {
  projects: ['cdk8s-kubesphere-federation', 'ksfed-sandbox', 'ksfed'].map(name => `<rootDir>/packages/${name}`),
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports' }]],
};
