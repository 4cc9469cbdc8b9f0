// The verdict window of one target in columns: per type, its count and bytes in each of the last `capacity`
// dumps, and whether a kept dump before them had it. That is all the leak verdict reads, without keeping the dumps
// themselves: a dump of 100 k types is 100 k row objects (~15 MB); here a type costs its name once and two doubles
// per window dump, whatever the number of dumps kept on disk.
//
// Series are leakVerdicts' exactly (the same verdicts for the same dumps; test/unit/analysis/window.test.ts):
// dumps ordered by time (ties by arrival), the window is the last `capacity` of them, and a type's series starts at
// its first appearance over all kept dumps, so a type seen before the window is in the whole window, with 0 where
// it is missing. Which dumps are kept is the caller's: forget(time) says that dumps before `time` are gone (the
// store's retention).
// Of the dumps before the window only one number per type is remembered: the time of the last one that had it.
// For types absent from the whole window ("ghosts") that is kept for at most `ghostLimit` types, the longest
// absent forgotten first, so a target that invents new type names forever cannot grow it without bound.

import { clampFinite } from "./finite.js";
import type { TypeRowsInput, TypeStats } from "./rows.js";
import { judgeColumns, resolveVerdictOptions, type VerdictOptions } from "./verdict.js";
import { freshHistory, LEAKING, SETTLING, STABLE, stepHistory, type TypeHistory, VERDICT_STATES } from "./verdict-state.js";
import { type VerdictTable, VerdictTableBuilder } from "./verdict-table.js";

/** One dump as the window records it (its rows go into the columns). */
export interface WindowDump {
  /** The stored dump's id, when it has one. */
  id?: string;
  /** Unix epoch milliseconds; must be finite. */
  time: number;
  requests?: number;
  bytesExact?: boolean;
}

export interface TypeWindowOptions {
  /** Types absent from the whole window whose earlier appearance is remembered (default 100 000). */
  ghostLimit?: number;
}

const MIN_ROWS = 64;

const HISTORY_FIELDS = ["since", "onset", "rate", "peak", "warmPeak", "settledPeak", "longestPause", "releasePeak", "byCount", "onsetLevel"] as const;

/** Every type's history (verdict-state.ts) in columns: eleven numbers a type. */
class HistoryColumns {
  state: Uint8Array;
  cols: Record<(typeof HISTORY_FIELDS)[number], Float64Array>;

  constructor(size: number) {
    this.state = new Uint8Array(size);
    this.cols = Object.fromEntries(HISTORY_FIELDS.map((f) => [f, new Float64Array(size)])) as HistoryColumns["cols"];
    for (let row = 0; row < size; row++) this.reset(row);
  }

  reset(row: number): void {
    this.write(row, freshHistory());
  }

  /** The row's history, into `h` (field by field: this runs for every type at every dump). */
  readInto(row: number, h: TypeHistory): TypeHistory {
    const c = this.cols;
    h.state = this.state[row]!;
    h.since = c.since[row]!;
    h.onset = c.onset[row]!;
    h.rate = c.rate[row]!;
    h.peak = c.peak[row]!;
    h.warmPeak = c.warmPeak[row]!;
    h.settledPeak = c.settledPeak[row]!;
    h.longestPause = c.longestPause[row]!;
    h.releasePeak = c.releasePeak[row]!;
    h.byCount = c.byCount[row]!;
    h.onsetLevel = c.onsetLevel[row]!;
    return h;
  }

  write(row: number, h: TypeHistory): void {
    const c = this.cols;
    this.state[row] = h.state;
    c.since[row] = h.since;
    c.onset[row] = h.onset;
    c.rate[row] = h.rate;
    c.peak[row] = h.peak;
    c.warmPeak[row] = h.warmPeak;
    c.settledPeak[row] = h.settledPeak;
    c.longestPause[row] = h.longestPause;
    c.releasePeak[row] = h.releasePeak;
    c.byCount[row] = h.byCount;
    c.onsetLevel[row] = h.onsetLevel;
  }

  /** A copy of `size` rows, with old row `from[k]` as row k; fresh beyond. */
  moved(size: number, from: readonly number[]): HistoryColumns {
    const out = new HistoryColumns(size);
    from.forEach((old, row) => {
      out.state[row] = this.state[old]!;
      for (const f of HISTORY_FIELDS) out.cols[f][row] = this.cols[f][old]!;
    });
    return out;
  }
}

export class TypeWindow {
  readonly capacity: number;
  readonly ghostLimit: number;
  /** Slot → the dump in it. */
  private readonly slots: (WindowDump | undefined)[];
  /** Occupied slots, oldest dump first (equal times in arrival order). */
  private order: number[] = [];
  /** Type → its row in the columns. */
  private readonly rowOf = new Map<string, number>();
  /** Row → type ("" for a free row, which has no entry in rowOf). */
  private names: string[] = [];
  private readonly freeRows: number[] = [];
  /** counts[row × capacity + slot], NaN where the type is not in the slot's dump. */
  private counts = new Float64Array(0);
  private bytes = new Float64Array(0);
  /** Row → window dumps that have the type. */
  private present = new Int32Array(0);
  /** Row → time of the last dump before the window that had the type; −Infinity for none. */
  private before = new Float64Array(0);
  /** Types in no window dump → time of the last dump before the window that had them. */
  private readonly ghosts = new Map<string, number>();
  /** Dumps before this time are no longer kept: their types do not count. */
  private keptFrom = -Infinity;
  /** Dumps taken in (the history's clock). */
  private seq = 0;
  /** The earliest dump time taken in: the warm-up counts from it. */
  private firstTime = Infinity;
  /**
   * Per type, the history as of the last dump whose verdicts were committed, and as computed for the newest one
   * (committed when the next dump's verdicts are asked for), so that asking twice for one dump's verdicts gives the
   * same answer.
   */
  private history = new HistoryColumns(0);
  private pending = new HistoryColumns(0);
  private pendingSeq = -1;

  constructor(capacity: number, options: TypeWindowOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`TypeWindow: capacity must be an integer ≥ 1, got ${capacity}`);
    this.capacity = capacity;
    this.ghostLimit = Math.max(0, Math.floor(options.ghostLimit ?? 100_000));
    this.slots = new Array(capacity).fill(undefined);
    this.grow(MIN_ROWS);
  }

  /** The window's dumps, oldest first. */
  get dumps(): WindowDump[] {
    return this.order.map((s) => this.slots[s]!);
  }

  /** Types in at least one window dump. */
  get typeCount(): number {
    return this.rowOf.size;
  }

  /** Types remembered from dumps before the window only. */
  get ghostCount(): number {
    return this.ghosts.size;
  }

  /** Rows allocated in the columns (≥ typeCount): what the window's memory is proportional to. */
  get allocatedRows(): number {
    return this.names.length;
  }

  /** Whether the type is in at least one window dump. */
  has(type: string): boolean {
    return this.rowOf.has(type);
  }

  /** The type's count and bytes in the i-th window dump (oldest first); undefined when that dump lacks it. */
  stats(type: string, i: number): TypeStats | undefined {
    const row = this.rowOf.get(type);
    const slot = this.order[i];
    if (row === undefined || slot === undefined) return undefined;
    const at = row * this.capacity + slot;
    const b = this.bytes[at]!;
    return Number.isNaN(b) ? undefined : { count: this.counts[at]!, bytes: b };
  }

  /** The rows of the i-th window dump (oldest first; default the latest), as a Map (duplicates summed). */
  rowsOf(i = this.order.length - 1): Map<string, TypeStats> {
    const steps = this.rowsInSteps(i);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** rowsOf as a generator that yields every few thousand rows; the window must not change until it has returned. */
  *rowsInSteps(i = this.order.length - 1): Generator<void, Map<string, TypeStats>, void> {
    const out = new Map<string, TypeStats>();
    const slot = this.order[i];
    if (slot === undefined) return out;
    for (let row = 0; row < this.names.length; row++) {
      const at = row * this.capacity + slot;
      const b = this.bytes[at]!;
      if (!Number.isNaN(b)) out.set(this.names[row]!, { count: this.counts[at]!, bytes: b });
      if ((row & 8191) === 8191) yield;
    }
    return out;
  }

  /**
   * Adds a dump. One older than every window dump of a full window goes straight to "before the window"; otherwise
   * it takes its place in time order and, when the window is full, the oldest dump leaves it.
   */
  push(dump: WindowDump, rows: TypeRowsInput): void {
    const steps = this.pushInSteps(dump, rows);
    while (!steps.next().done);
  }

  /** push() as a generator that yields every few thousand rows; the window must not be used until it has returned. */
  *pushInSteps(dump: WindowDump, rows: TypeRowsInput): Generator<void, void, void> {
    if (!Number.isFinite(dump.time)) throw new RangeError(`TypeWindow: a dump's time must be finite, got ${dump.time}`);
    const info: WindowDump = { time: dump.time };
    if (dump.id !== undefined) info.id = dump.id;
    if (dump.requests !== undefined) info.requests = dump.requests;
    if (dump.bytesExact !== undefined) info.bytesExact = dump.bytesExact;
    this.seq++;
    if (dump.time < this.firstTime) this.firstTime = dump.time;
    if (this.order.length === this.capacity) {
      if (dump.time < this.slots[this.order[0]!]!.time) {
        this.rememberBefore(rows, dump.time);
        return;
      }
      this.evict(this.order[0]!);
    }
    const slot = this.slots.indexOf(undefined);
    this.slots[slot] = info;
    let at = this.order.length;
    while (at > 0 && this.slots[this.order[at - 1]!]!.time > dump.time) at--;
    this.order.splice(at, 0, slot);
    const put = (type: string, count: number, bytes: number): void => {
      const row = this.rowFor(type);
      const i = row * this.capacity + slot;
      const c = Number.isFinite(count) ? count : 0;
      const b = Number.isFinite(bytes) ? bytes : 0;
      if (Number.isNaN(this.bytes[i]!)) {
        this.present[row]!++;
        this.counts[i] = c;
        this.bytes[i] = b;
      } else {
        // A type listed twice in one dump: summed, as toTypeMap does.
        this.counts[i] = clampFinite(this.counts[i]! + c);
        this.bytes[i] = clampFinite(this.bytes[i]! + b);
      }
    };
    if (Array.isArray(rows)) {
      const list = rows as readonly { type: string; count: number; bytes: number }[];
      for (let k = 0; k < list.length; k++) {
        put(list[k]!.type, list[k]!.count, list[k]!.bytes);
        if ((k & 4095) === 4095) yield;
      }
    } else {
      let k = 0;
      for (const [type, r] of rows as ReadonlyMap<string, TypeStats>) {
        put(type, r.count, r.bytes);
        if ((++k & 4095) === 0) yield;
      }
    }
  }

  /** Dumps before `time` are no longer kept: what they alone showed stops counting. */
  forget(time: number): void {
    if (!(time > this.keptFrom)) return;
    this.keptFrom = time;
    for (const [type, t] of this.ghosts) if (t < time) this.ghosts.delete(type);
    for (let row = 0; row < this.names.length; row++) if (this.before[row]! < time) this.before[row] = -Infinity;
  }

  /**
   * The verdict of every type in the window, in leakVerdicts' order, as a VerdictTable (numbers in columns; verdict
   * objects are made when asked for). A generator that yields after every `chunk` types and now and then while
   * sorting, so that a caller can spread the work over several turns of the event loop; the window must not change
   * until it has returned.
   */
  *verdicts(options: VerdictOptions = {}, chunk = 500): Generator<void, VerdictTable, void> {
    const opts = resolveVerdictOptions(options);
    const dumps = this.dumps;
    const slots = [...this.order];
    const n = dumps.length;
    const times = dumps.map((d) => d.time);
    const requests = dumps.map((d) => d.requests);
    const exact = dumps.map((d) => d.bytesExact);
    const table = new VerdictTableBuilder(this.rowOf.size, opts);
    const step = Math.max(1, Math.floor(chunk));
    if (this.pendingSeq !== -1 && this.pendingSeq !== this.seq) [this.history, this.pending] = [this.pending, this.history];
    this.pendingSeq = this.seq;
    const seq = this.seq;
    const warmup = n > 0 && times[n - 1]! < this.firstTime + opts.warmupSeconds * 1000;
    const xsAll = times.map((t) => (t - times[0]!) / 1000);
    const scratch = freshHistory();
    let sinceYield = 0;
    for (let row = 0; row < this.names.length; row++) {
      const type = this.names[row]!;
      if (type === "" || this.present[row] === 0) continue;
      const base = row * this.capacity;
      let from = 0;
      if (!(this.before[row]! >= this.keptFrom && this.before[row]! > -Infinity)) {
        while (from < n && Number.isNaN(this.bytes[base + slots[from]!]!)) from++;
      }
      const counts: number[] = [];
      const bytes: number[] = [];
      for (let i = from; i < n; i++) {
        const b = this.bytes[base + slots[i]!]!;
        const missing = Number.isNaN(b);
        counts.push(missing ? 0 : this.counts[base + slots[i]!]!);
        bytes.push(missing ? 0 : b);
      }
      const cols =
        from === 0
          ? { times, counts, bytes, requests, exact }
          : { times: times.slice(from), counts, bytes, requests: requests.slice(from), exact: exact.slice(from) };
      // The reason is written when a verdict is asked for (VerdictTable.at), from the numbers kept.
      const { verdict, countRelative } = judgeColumns(type, cols, opts, false);
      const h = this.history.readInto(row, scratch);
      // Seconds from the series' first dump: shared by every type seen in the whole window (most of them).
      const xs = from === 0 ? xsAll : cols.times.map((t) => (t - cols.times[0]!) / 1000);
      // A type proven by its object count follows its count (bytes are then flat or below the floor).
      if (verdict.proven) h.byCount = verdict.suspectBy === "count" ? 1 : 0;
      const byCount = h.byCount === 1 && (h.state !== STABLE || verdict.proven);
      const o = stepHistory(h, {
        seq,
        warmup,
        proven: verdict.proven,
        slope: byCount ? verdict.objectsSlopePerSecond : verdict.bytesSlopePerSecond,
        risingNow: verdict.state === "rising",
        xs,
        ys: byCount ? counts : bytes,
        window: opts.window,
      });
      this.pending.write(row, h);
      verdict.state = VERDICT_STATES[h.state]!;
      verdict.suspect = h.state === LEAKING;
      verdict.stateDumps = seq - h.since;
      if (h.state === LEAKING || h.state === SETTLING) {
        verdict.provenBytesPerSecond = h.rate;
        verdict.flatBytesPerSecond = Number.isNaN(o.flatSlope) ? 0 : o.flatSlope;
        verdict.flatDumps = o.flatDumps;
      }
      if (warmup) verdict.warmup = true;
      table.add(verdict, countRelative);
      if (++sinceYield >= step) {
        sinceYield = 0;
        yield;
      }
    }
    return yield* table.finish();
  }

  private rememberBefore(rows: TypeRowsInput, time: number): void {
    if (time < this.keptFrom) return;
    const types = Array.isArray(rows) ? (rows as readonly { type: string }[]).map((r) => r.type) : [...(rows as ReadonlyMap<string, TypeStats>).keys()];
    for (const type of types) {
      const row = this.rowOf.get(type);
      if (row !== undefined) this.before[row] = Math.max(this.before[row]!, time);
      else this.ghost(type, Math.max(this.ghosts.get(type) ?? -Infinity, time));
    }
  }

  private ghost(type: string, time: number): void {
    if (time < this.keptFrom || this.ghostLimit === 0) return;
    this.ghosts.delete(type); // re-inserted last: the map's order is oldest-absent first
    this.ghosts.set(type, time);
    if (this.ghosts.size > this.ghostLimit) this.ghosts.delete(this.ghosts.keys().next().value!);
  }

  private evict(slot: number): void {
    const time = this.slots[slot]!.time;
    this.order = this.order.filter((s) => s !== slot);
    this.slots[slot] = undefined;
    for (let row = 0; row < this.names.length; row++) {
      const i = row * this.capacity + slot;
      if (Number.isNaN(this.bytes[i]!)) continue;
      this.counts[i] = NaN;
      this.bytes[i] = NaN;
      if (time >= this.keptFrom) this.before[row] = Math.max(this.before[row]!, time);
      if (--this.present[row]! === 0) this.release(row);
    }
    this.compact();
  }

  /** A row whose type left the window: the type becomes a ghost if a kept dump before the window had it. */
  private release(row: number): void {
    const type = this.names[row]!;
    if (this.before[row]! > -Infinity) this.ghost(type, this.before[row]!);
    this.rowOf.delete(type);
    this.names[row] = "";
    this.before[row] = -Infinity;
    this.freeRows.push(row);
  }

  private rowFor(type: string): number {
    const known = this.rowOf.get(type);
    if (known !== undefined) return known;
    if (this.freeRows.length === 0) this.grow(this.names.length * 2);
    const row = this.freeRows.pop()!;
    this.rowOf.set(type, row);
    this.names[row] = type;
    const seen = this.ghosts.get(type);
    this.before[row] = seen ?? -Infinity;
    if (seen !== undefined) this.ghosts.delete(type);
    this.history.reset(row);
    this.pending.reset(row);
    return row;
  }

  /** Reallocates the columns for `rows` rows, keeping the live ones (renumbered when shrinking). */
  private grow(rows: number): void {
    const cap = this.capacity;
    const live = this.names.flatMap((t, row) => (t === "" ? [] : [row]));
    const size = Math.max(MIN_ROWS, rows, live.length);
    const counts = new Float64Array(size * cap).fill(NaN);
    const bytes = new Float64Array(size * cap).fill(NaN);
    const present = new Int32Array(size);
    const before = new Float64Array(size).fill(-Infinity);
    const names = new Array<string>(size).fill("");
    live.forEach((old, row) => {
      counts.set(this.counts.subarray(old * cap, old * cap + cap), row * cap);
      bytes.set(this.bytes.subarray(old * cap, old * cap + cap), row * cap);
      present[row] = this.present[old]!;
      before[row] = this.before[old]!;
      names[row] = this.names[old]!;
      this.rowOf.set(names[row]!, row);
    });
    this.history = this.history.moved(size, live);
    this.pending = this.pending.moved(size, live);
    this.counts = counts;
    this.bytes = bytes;
    this.present = present;
    this.before = before;
    this.names = names;
    this.freeRows.length = 0;
    for (let row = size - 1; row >= live.length; row--) this.freeRows.push(row);
  }

  /** Gives memory back after a spike of types: when at most a quarter of the rows are used, halves them. */
  private compact(): void {
    const used = this.rowOf.size;
    if (this.names.length > MIN_ROWS && used * 4 <= this.names.length) this.grow(Math.max(MIN_ROWS, used * 2));
  }
}
