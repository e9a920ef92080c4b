/**
 * KubeFed v0.8.1 semantics as pure functions, used to emit federated objects and, in rendered
 * mode, to compute what each member cluster receives without KubeFed in the path.
 *
 * - `json-pointer`: RFC 6901 pointers and add/remove/replace as evanphx/json-patch v4 applies them.
 * - `overrides`: override validation and application (kubefed pkg/controller/util/overrides.go).
 * - `placement`: label selectors, placement, FederatedNamespace intersection (pkg/controller/util/placement.go).
 * - `planner`: replica division and the RSP rewrite of placement and `/spec/replicas`
 *   (pkg/controller/util/planner/planner.go, pkg/schedulingtypes/).
 * - `render`: the member object the sync controller creates (pkg/controller/sync/resource.go).
 *
 * Internal: not exported from the package entry point. Inputs are never mutated; outputs are
 * deterministic (sorted cluster lists and keys, no clocks or randomness).
 *
 * @module
 */
export * from './json-pointer';
export * from './overrides';
export * from './placement';
export * from './planner';
export * from './render';
