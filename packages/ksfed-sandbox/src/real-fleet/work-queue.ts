// A keyed work queue with a fixed number of workers, as client-go's workqueue is used by Kubernetes controllers
// (KubeSphere's cluster controller among them): for the stand-ins (src/real-fleet/stand-ins.ts).

/**
 * Runs `work(key)` for each key added, at most `workers` keys at once. A key is never worked on twice at the same
 * time: one added while its work runs is worked on again once it is done; one added while it waits is not queued
 * twice. Keys are taken in the order they were added. A failing `work` goes to `onError` and the queue goes on.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private stopped = false;

  constructor(
    private readonly workers: number,
    private readonly work: (key: string) => Promise<void>,
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
  ) {}

  /** Queues `key` (a no-op when it waits already, or after `stop`). */
  public add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.waiting.add(key);
    this.pump();
  }

  /** Starts no more work (the work running finishes on its own). */
  public stop(): void {
    this.stopped = true;
    this.waiting.clear();
    this.dirty.clear();
  }

  /** Keys being worked on now. */
  public get active(): number {
    return this.running.size;
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.workers && this.waiting.size > 0) {
      const [key] = this.waiting;
      this.waiting.delete(key);
      this.running.add(key);
      void this.work(key)
        .catch((e) => this.onError(key, e))
        .finally(() => {
          this.running.delete(key);
          if (this.dirty.delete(key)) this.waiting.add(key);
          this.pump();
        });
    }
  }
}
