// The --load-rate cap: a token bucket with reservations. Each job takes one token; when none is left the caller
// is told how long to wait for its own token (tokens go negative), so concurrent workers queue fairly and the
// long-run rate is exact even though timers are coarse. Holds at most `burst` tokens (50 ms worth, at least 1).

export class TokenBucket {
  private tokens: number;
  private last: number;
  private burst: number;

  constructor(
    private rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = TokenBucket.burstFor(rate);
    this.tokens = this.burst;
    this.last = now();
  }

  static burstFor(rate: number): number {
    return Math.max(1, rate * 0.05);
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** Takes a token; returns how many milliseconds to wait before using it (0: now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }

  setRate(rate: number): void {
    this.refill();
    this.rate = rate;
    this.burst = TokenBucket.burstFor(rate);
    this.tokens = Math.min(this.tokens, this.burst);
  }
}
