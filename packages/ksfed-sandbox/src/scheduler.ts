/**
 * Timers for the emulated controllers. Every timer is unref'd (it never keeps a CLI process alive),
 * keyed (scheduling a key again replaces the pending run) and cancelled by `stop()`.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  /** Runs `fn` after `delayMs`, replacing any pending run with the same key. Errors are swallowed into `onError`. */
  public schedule(key: string, delayMs: number, fn: () => void, onError: (e: unknown) => void = () => undefined): void {
    if (this.stopped) return;
    this.cancel(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (this.stopped) return;
      try {
        fn();
      } catch (e) {
        onError(e);
      }
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Whether a run is pending for the key. */
  public pending(key: string): boolean {
    return this.timers.has(key);
  }

  /** Cancels the pending run for the key, if any. */
  public cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  /** Cancels everything; later `schedule` calls are ignored. */
  public stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
