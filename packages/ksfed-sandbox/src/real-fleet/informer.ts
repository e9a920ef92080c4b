// A list-then-watch cache of one kind on one real API server, for the stand-ins (src/real-fleet/stand-ins.ts).
import * as https from 'https';
import { Endpoint, request, sleep } from './http';

/** A change the informer saw. */
export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * Lists `path` (a collection, e.g. `/apis/apps/v1/deployments`), then watches it from the list's resourceVersion,
 * keeping every object in memory and calling `onEvent` for each change. A watch that ends is resumed from the last
 * resourceVersion seen; when that is too old (410) or the kind is not served yet (404: its CRD is not there), it
 * lists again after a short pause.
 */
export class Informer {
  private readonly cache = new Map<string, any>();
  private stopped = false;
  private request?: ReturnType<typeof https.request>;
  private resolveSynced!: () => void;
  /** Resolves after the first successful list. */
  public readonly synced = new Promise<void>((resolve) => this.resolveSynced = resolve);

  constructor(
    private readonly endpoint: Endpoint,
    public readonly path: string,
    private readonly onEvent: (type: InformerEvent, obj: any) => void,
  ) {}

  /** Starts listing and watching (in the background). */
  public start(): void {
    void this.run();
  }

  /** Stops watching. */
  public stop(): void {
    this.stopped = true;
    this.request?.destroy();
  }

  /** The cached objects. */
  public list(): any[] {
    return [...this.cache.values()];
  }

  /** A cached object by namespace (undefined for cluster-scoped kinds) and name. */
  public get(namespace: string | undefined, name: string): any | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let rv: string | undefined;
      try {
        rv = await this.relist();
      } catch {
        // not served yet, or the server is going away: try again shortly
      }
      if (rv === undefined) {
        await sleep(500);
        continue;
      }
      this.resolveSynced();
      while (!this.stopped && rv !== undefined) rv = await this.watch(rv);
    }
  }

  /** Lists, replaces the cache (emitting the differences), and returns the list's resourceVersion. */
  private async relist(): Promise<string | undefined> {
    const reply = await request(this.endpoint, 'GET', this.path);
    if (reply.status !== 200) return undefined;
    const list = JSON.parse(reply.body);
    const seen = new Set<string>();
    for (const item of list.items ?? []) {
      const k = key(item);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, item);
      if (!old) this.emit('ADDED', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [k, old] of [...this.cache]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.emit('DELETED', old);
      }
    }
    return list.metadata?.resourceVersion;
  }

  /** One watch request; resolves with the resourceVersion to resume from, or undefined to list again. */
  private watch(rv: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const sep = this.path.includes('?') ? '&' : '?';
      const url = new URL(`${this.path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${rv}`, this.endpoint.server);
      let last: string | undefined = rv;
      let buffer = '';
      const req = https.request(url, {
        method: 'GET',
        headers: { Authorization: `Bearer ${this.endpoint.token}`, Accept: 'application/json' },
        ca: this.endpoint.ca,
      }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => resolve(undefined));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
            const line = buffer.slice(0, i).trim();
            buffer = buffer.slice(i + 1);
            if (!line) continue;
            const event = JSON.parse(line);
            if (event.type === 'ERROR') {
              last = undefined; // e.g. 410 Gone: list again
              continue;
            }
            if (event.object?.metadata?.resourceVersion) last = event.object.metadata.resourceVersion;
            if (event.type === 'BOOKMARK') continue;
            const k = key(event.object);
            if (event.type === 'DELETED') this.cache.delete(k);
            else this.cache.set(k, event.object);
            this.emit(event.type, event.object);
          }
        });
        res.on('end', () => resolve(last));
        res.on('error', () => resolve(last));
      });
      this.request = req;
      req.on('error', () => setTimeout(() => resolve(last), this.stopped ? 0 : 200));
      req.end();
    });
  }

  private emit(type: InformerEvent, obj: any): void {
    try {
      this.onEvent(type, obj);
    } catch {
      // a handler's error must not end the watch
    }
  }
}

function key(obj: any): string {
  return `${obj?.metadata?.namespace ?? ''}/${obj?.metadata?.name}`;
}
