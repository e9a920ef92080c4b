// Our own CRD definitions (internal module: not exported from src/index.ts).
export * from './schema';
export * from './kubefed';
export * from './federated-types';
export * from './kubesphere';
