// The ksfed engine: apply, diff, status, doctor and plan of a synthesized federation.
// Internal module: not exported from src/index.ts (client-node types must not reach the jsii API).
export { apply, diff } from './apply';
export type { ApplyOptions } from './apply';
export { status, formatStatus } from './status';
export type { StatusReport, ClusterHealth } from './status';
export { doctor, formatDoctor, doctorExitCode, CHECKS } from './doctor';
export type { DoctorReport, DoctorOptions, Finding, Severity, CheckInfo } from './doctor';
export { plan, formatPlan } from './plan';
export { moveMember, formatMove } from './member-move';
export type { MoveMemberOptions, MoveReport, NamespaceMove } from './member-move';
export { diagnoseJoin, formatFindings } from './join-diagnosis';
export type { JoinFinding, JoinCause } from './join-diagnosis';
export type { PlanReport, PlannedCluster } from './plan';
export type { ConnectOptions } from './session';
export { formatSummary, formatDiff, formatEvent } from './report';
export { TerminalProgress } from './progress';
export type { ApplyReport, ApplyEvent, ClusterReport, ObjectResult, ObjectOutcome, ClusterStatus } from './report';
export { UsageError, KubeApiError, AbortedError, TimeoutError } from './errors';
export { applySetId, KSFED_APPLYSET_ID, APPLYSET_PARENT } from './applyset';
export { FIELD_MANAGER } from './kube-client';
export type { KubeClient, ObjectRef } from './kube-client';
export { DEFAULT_RETRY_POLICY } from './retry';
export type { RetryPolicy, Clock } from './retry';
export { parseDuration } from './duration';
