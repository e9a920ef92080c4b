import { memberKey } from './applyset';
import { FederationCluster } from './federation';
import { ObjectRef } from './kube-client';
import { ClusterStatus } from './report';

/** Why something another cluster's run was to provide will not come. */
export class UpstreamError extends Error {
  constructor(public readonly cluster: string, public readonly status: ClusterStatus, message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

interface Pending {
  settled: boolean;
  readonly promise: Promise<boolean>;
  resolve(ok: boolean): void;
}

/**
 * What the clusters of one run tell each other: which objects each run has applied, and how each run ended. A
 * member does not wait for the host's whole folder; it waits for exactly the host objects its values come
 * from (the tower Service whose address the agent dials, its `Cluster` object for the handshake) and learns at
 * once when the host's run ends without them.
 */
export class ClusterBoard {
  private readonly objects = new Map<string, Map<string, Pending>>();
  private readonly ended = new Map<string, ClusterStatus>();

  /** `clusters`: the clusters this run applies (only their folders are waited for). */
  constructor(clusters: FederationCluster[]) {
    for (const c of clusters) this.objects.set(c.name, new Map(c.objects.map(o => [memberKey(o), pending()])));
  }

  /** Whether `cluster`'s run applies `ref` (then `applied` waits for it). */
  public holds(cluster: string, ref: ObjectRef): boolean {
    return this.objects.get(cluster)?.has(memberKey(ref)) ?? false;
  }

  /** Records the outcome of an object's apply (the first outcome counts). */
  public settle(cluster: string, ref: ObjectRef, ok: boolean): void {
    const p = this.objects.get(cluster)?.get(memberKey(ref));
    if (p && !p.settled) p.resolve(ok);
  }

  /** Records how a cluster's run ended; objects it never applied settle as not applied. */
  public end(cluster: string, status: ClusterStatus): void {
    this.ended.set(cluster, status);
    for (const p of this.objects.get(cluster)?.values() ?? []) if (!p.settled) p.resolve(false);
  }

  /** How the run of `cluster` ended, or undefined while it runs (or when it is not part of this run). */
  public status(cluster: string): ClusterStatus | undefined {
    return this.ended.get(cluster);
  }

  /**
   * Resolves once `ref` is applied in `cluster` (at once when this run does not apply it there); rejects with an
   * UpstreamError when that cluster's apply of it failed or its run ended without applying it.
   */
  public async applied(cluster: string, ref: ObjectRef, what: string): Promise<void> {
    const p = this.objects.get(cluster)?.get(memberKey(ref));
    if (!p) return;
    if (await p.promise) return;
    const status = this.ended.get(cluster);
    const why = status === undefined ? `its apply on ${cluster} failed` : `the run of ${cluster} ${status === 'succeeded' ? 'did not apply it' : `ended ${status}`}`;
    throw new UpstreamError(cluster, status ?? 'failed', `${what} was not applied: ${why}`);
  }
}

function pending(): Pending {
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>(r => resolve = r);
  const p: Pending = {
    settled: false,
    promise,
    resolve: (ok: boolean) => {
      p.settled = true;
      resolve(ok);
    },
  };
  return p;
}
