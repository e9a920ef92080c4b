export * from './kubefed';
export * from './tower';
export * from './cluster-agent';
