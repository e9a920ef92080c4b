// The ksfed engine: apply, diff, status and plan of a synthesized federation.
// Internal module: not exported from src/index.ts (client-node types must not reach the jsii API).
export { apply, diff, ApplyOptions } from './apply';
export { status, formatStatus, StatusReport, ClusterHealth } from './status';
export { plan, formatPlan, PlanReport, PlannedCluster } from './plan';
export { ConnectOptions } from './session';
export { ApplyReport, ApplyEvent, ClusterReport, ObjectResult, ObjectOutcome, ClusterStatus, formatSummary, formatDiff, formatEvent, TerminalProgress } from './report';
export { UsageError, KubeApiError, AbortedError, TimeoutError } from './errors';
export { applySetId, KSFED_APPLYSET_ID, APPLYSET_PARENT } from './applyset';
export { KubeClient, ObjectRef, FIELD_MANAGER } from './kube-client';
export { RetryPolicy, Clock, DEFAULT_RETRY_POLICY } from './retry';
export { parseDuration } from './duration';
