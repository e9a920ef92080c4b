export * from './api-versions';
export * from './revision';
export * from './credentials';
export * from './argocd';
export * from './flux';
export * from './engine';
export * from './delivery';
