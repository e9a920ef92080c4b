// The sandbox: an in-memory Kubernetes API emulator for tests, `ksfed sandbox` and the quickstart.
// Internal module: not exported from src/index.ts.
export { Sandbox } from './sandbox';
export type { SandboxOptions } from './sandbox';
export { SandboxCluster } from './cluster';
export type { FaultOptions } from './faults';
export type { RequestRecord } from './api-server';
export { KUBERNETES_VERSION } from './discovery';
export { KUBESPHERE_SYSTEM, KS_CONTROLLER_MANAGER, KS_INSTALLER, TOWER } from './kubesphere';
export { CONTROLLER_MANAGER } from './workloads';
