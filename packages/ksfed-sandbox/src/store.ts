import { JsonObject } from './json';

/** The kind of change a watch reports. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. */
export interface StoreEvent {
  readonly type: WatchEventType;
  /** Storage key of the resource (`group/plural`). */
  readonly resource: string;
  /** The object after the change (for DELETED: the last state, with the deletion's resourceVersion). */
  readonly object: JsonObject;
  /** The resourceVersion of this change. */
  readonly rv: number;
}

/** Listener called synchronously after every committed change. */
export type StoreListener = (event: StoreEvent) => void;

/**
 * The object storage of one sandbox cluster: objects by resource and `namespace/name`, a cluster-wide
 * resourceVersion counter (as with etcd, every write gets the next number), and a bounded history of
 * changes that watches can resume from.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private counter: number;

  constructor(private readonly historyLimit = 2000, firstResourceVersion = 100) {
    this.counter = firstResourceVersion;
  }

  /** The latest resourceVersion handed out. */
  public get resourceVersion(): number {
    return this.counter;
  }

  /** The next resourceVersion. */
  public nextResourceVersion(): number {
    return ++this.counter;
  }

  /** The stored object (shared: callers must copy before changing it). */
  public get(resource: string, namespace: string | undefined, name: string): JsonObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Stored objects of a resource, optionally in one namespace, in key order (as etcd lists them). */
  public list(resource: string, namespace?: string): JsonObject[] {
    const bucket = this.objects.get(resource);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata?.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  /** Storage keys of every resource that holds objects. */
  public resources(): string[] {
    return [...this.objects.keys()].filter((k) => (this.objects.get(k)?.size ?? 0) > 0);
  }

  /** Stores an object whose `metadata.resourceVersion` the caller already set, and notifies. */
  public put(resource: string, object: JsonObject, type: 'ADDED' | 'MODIFIED'): void {
    if (!this.objects.has(resource)) this.objects.set(resource, new Map());
    this.objects.get(resource)!.set(objectKey(object.metadata?.namespace, object.metadata.name), object);
    this.emit({ type, resource, object, rv: Number(object.metadata.resourceVersion) });
  }

  /** Removes an object; the DELETED event carries a fresh resourceVersion. Returns the removed object. */
  public remove(resource: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const bucket = this.objects.get(resource);
    const key = objectKey(namespace, name);
    const existing = bucket?.get(key);
    if (!bucket || !existing) return undefined;
    bucket.delete(key);
    const rv = this.nextResourceVersion();
    const object = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', resource, object, rv });
    return object;
  }

  /**
   * Changes after `rv` (exclusive), oldest first; undefined when the history no longer reaches back that far
   * (a watch must then answer 410 Expired).
   */
  public eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv >= this.counter) return [];
    const oldest = this.history[0];
    if (this.history.length >= this.historyLimit && oldest && oldest.rv > rv + 1) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  public subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not fail the write that triggered it
      }
    }
  }
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
