// At most `concurrency` of some costly job at once, with a bounded wait: what an HTTP endpoint that reads whole
// dump summaries uses so that many concurrent callers cost queue slots, not memory.

/** Thrown by Limiter.run when the queue is full; the caller should answer "try again later". */
export class BusyError extends Error {}

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency = 1,
    readonly maxQueue = 8,
  ) {}

  /** Runs fn when a slot is free; rejects with BusyError at once when `maxQueue` callers are already waiting. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw new BusyError("too many requests of this kind are waiting");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next caller, so `active` stays as it is.
      if (next) next();
      else this.active--;
    }
  }
}
