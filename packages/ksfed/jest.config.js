// This package's tests (jest.shared.js at the repository root has the configuration every package shares).
module.exports = require('../../jest.shared.js')(__dirname);
