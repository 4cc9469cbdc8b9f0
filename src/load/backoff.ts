// Backing off while the target is down (not up, or refusing connections): the pause doubles from `baseMs` up to
// `maxMs`, and one success resets it. Failures that arrive while a pause is running (t workers failing together)
// do not lengthen it: only the first failure after a pause has ended does.

export class Backoff {
  private next: number;
  private until = 0;
  failures = 0;

  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.next = baseMs;
  }

  /** Milliseconds left in the current pause (0 when none). */
  remaining(): number {
    return Math.max(0, this.until - this.now());
  }

  /** Records a failure; returns the pause now in effect (ms). */
  fail(): number {
    const t = this.now();
    this.failures++;
    if (t >= this.until) {
      this.until = t + this.next;
      this.next = Math.min(this.maxMs, this.next * 2);
    }
    return this.until - t;
  }

  reset(): void {
    this.next = this.baseMs;
    this.until = 0;
    this.failures = 0;
  }
}
