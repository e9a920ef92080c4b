import { UsageError } from './errors';
import { FederationCluster, FederationObject } from './federation';

/** The apply phases, in order (the same list federation.json carries). */
export const DEFAULT_PHASES = ['crds', 'namespaces', 'rbac', 'config', 'workloads', 'webhooks', 'custom-resources'];

/**
 * The clusters to apply and what each one waits for. `dependsOn` (from federation.json: the clusters whose state
 * fills this cluster's placeholders) is kept only for clusters in the run; a cluster outside `--only` is assumed
 * applied already. Throws a UsageError on a dependency cycle.
 */
export function clusterOrder(clusters: FederationCluster[], selected: string[]): { name: string; waitsFor: string[] }[] {
  const inRun = new Set(selected);
  const byName = new Map(clusters.map(c => [c.name, c]));
  const out = selected.map(name => ({ name, waitsFor: (byName.get(name)?.dependsOn ?? []).filter(d => d !== name && inRun.has(d)) }));
  // Detect cycles with a depth-first search.
  const state = new Map<string, 'visiting' | 'done'>();
  const edges = new Map(out.map(o => [o.name, o.waitsFor]));
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new UsageError(`clusters depend on each other in a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const d of edges.get(name) ?? []) visit(d, [...trail, name]);
    state.set(name, 'done');
  };
  for (const o of out) visit(o.name, []);
  return out;
}

/** The layers of clusters that can run in parallel (for `plan`): every cluster after all it waits for. */
export function clusterLayers(order: { name: string; waitsFor: string[] }[]): string[][] {
  const layers: string[][] = [];
  const placed = new Map<string, number>();
  const pending = [...order];
  while (pending.length > 0) {
    const ready = pending.filter(o => o.waitsFor.every(d => placed.has(d)));
    if (ready.length === 0) throw new UsageError('clusters depend on each other in a cycle');
    for (const o of ready) {
      const layer = Math.max(-1, ...o.waitsFor.map(d => placed.get(d)!)) + 1;
      placed.set(o.name, layer);
      (layers[layer] ??= []).push(o.name);
      pending.splice(pending.indexOf(o), 1);
    }
  }
  return layers;
}

/**
 * A cluster's objects grouped by phase, in phase order and, inside a phase, in file order. Objects of one group
 * are independent and may be applied in parallel.
 */
export function phaseGroups(objects: FederationObject[], phases: string[] = DEFAULT_PHASES): { phase: string; objects: FederationObject[] }[] {
  const order = [...phases];
  for (const o of objects) if (!order.includes(o.phase)) order.push(o.phase);
  const groups = order.map(phase => ({ phase, objects: objects.filter(o => o.phase === phase) })).filter(g => g.objects.length > 0);
  for (const g of groups) g.objects.sort((a, b) => a.file.localeCompare(b.file));
  return groups;
}

/** A counting semaphore: at most `size` holders at once, FIFO. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(public readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new UsageError(`concurrency must be a whole number of at least 1, got ${size}`);
  }

  /** Runs `fn` once a slot is free. */
  public async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** How many holders run now. */
  public get inFlight(): number {
    return this.active;
  }

  private acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise(resolve => this.queue.push(() => {
      this.active++;
      resolve();
    }));
  }

  private release(): void {
    this.active--;
    const next = this.queue.shift();
    if (next) next();
  }
}

/**
 * Runs `fn` on every item with at most `limit` running at once; resolves with the results in input order. When
 * one fails, no further item starts, the running ones finish, and the first error is thrown.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** The delay before poll number `n` (0-based): quick at first, doubling from 25 ms up to `interval`. */
export function pollDelay(n: number, interval: number): number {
  return Math.min(interval, 25 * 2 ** Math.min(n, 16));
}
