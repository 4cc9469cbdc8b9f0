// Every type's verdict, kept as numbers in columns (~130 bytes a type instead of ~500 for a TypeVerdict object
// with its reason), in leakVerdicts' order. Verdict objects are made when asked for: a page for the API, the
// suspects, the exported types; each is exactly what leakVerdicts gives (its reason written from the same numbers,
// reasonOf in verdict.ts).

import type { GrowthInfo } from "./cardinality.js";
import { sortInSteps } from "./sort.js";
import { type ResolvedVerdictOptions, reasonOf, type TypeVerdict } from "./verdict.js";
import { VERDICT_STATES, type VerdictState } from "./verdict-state.js";

const STATE_INDEX: Record<VerdictState, number> = { stable: 0, rising: 1, leaking: 2, settling: 3 };

/** The numeric fields, one column each (NaN where an optional field is absent). */
const NUMBERS = [
  "dumps",
  "spanSeconds",
  "lastBytes",
  "lastCount",
  "bytesSlopePerSecond",
  "objectsSlopePerSecond",
  "recentBytesSlopePerSecond",
  "earlyBytesSlopePerSecond",
  "mkP",
  "mkPCount",
  "streak",
  "netGrowthBytes",
  "netGrowthObjects",
  "relativeGrowth",
  "countRelative",
  "bytesPerRequest",
  "idleGrowthBytes",
  "stateDumps",
  "provenBytesPerSecond",
  "flatBytesPerSecond",
  "flatDumps",
] as const;
type NumberField = (typeof NUMBERS)[number];

// Flag bits.
const EXACT = 1;
const SUSPECT = 2;
const BY_BYTES = 4;
const BY_COUNT = 8;
const WITHOUT_LOAD = 16;
const PROVEN = 32;
const WARMUP = 64;

type Columns = Record<NumberField, Float64Array>;

function columns(n: number): Columns {
  return Object.fromEntries(NUMBERS.map((f) => [f, new Float64Array(n)])) as Columns;
}

/** Collects verdicts (in any order), then sorts them into a VerdictTable. */
export class VerdictTableBuilder {
  private readonly types: string[] = [];
  private cols: Columns;
  private flags: Uint8Array;
  private states: Uint8Array;

  constructor(
    capacity: number,
    private readonly opts: ResolvedVerdictOptions,
  ) {
    this.cols = columns(Math.max(1, capacity));
    this.flags = new Uint8Array(Math.max(1, capacity));
    this.states = new Uint8Array(Math.max(1, capacity));
  }

  add(v: TypeVerdict, countRelative: number): void {
    const i = this.types.length;
    if (i === this.flags.length) this.grow(i * 2);
    this.types.push(v.type);
    const c = this.cols;
    c.dumps[i] = v.dumps;
    c.spanSeconds[i] = v.spanSeconds;
    c.lastBytes[i] = v.lastBytes;
    c.lastCount[i] = v.lastCount;
    c.bytesSlopePerSecond[i] = v.bytesSlopePerSecond;
    c.objectsSlopePerSecond[i] = v.objectsSlopePerSecond;
    c.recentBytesSlopePerSecond[i] = v.recentBytesSlopePerSecond;
    c.earlyBytesSlopePerSecond[i] = v.earlyBytesSlopePerSecond;
    c.mkP[i] = v.mkP;
    c.mkPCount[i] = v.mkPCount;
    c.streak[i] = v.streak;
    c.netGrowthBytes[i] = v.netGrowthBytes;
    c.netGrowthObjects[i] = v.netGrowthObjects;
    c.relativeGrowth[i] = v.relativeGrowth;
    c.countRelative[i] = countRelative;
    c.bytesPerRequest[i] = v.bytesPerRequest ?? Number.NaN;
    c.idleGrowthBytes[i] = v.idleGrowthBytes ?? Number.NaN;
    c.stateDumps[i] = v.stateDumps;
    c.provenBytesPerSecond[i] = v.provenBytesPerSecond ?? Number.NaN;
    c.flatBytesPerSecond[i] = v.flatBytesPerSecond ?? Number.NaN;
    c.flatDumps[i] = v.flatDumps ?? Number.NaN;
    this.states[i] = STATE_INDEX[v.state];
    this.flags[i] =
      (v.proven ? PROVEN : 0) |
      (v.warmup ? WARMUP : 0) |
      (v.bytesExact ? EXACT : 0) |
      (v.suspect ? SUSPECT : 0) |
      (v.suspectBy === "bytes" ? BY_BYTES : 0) |
      (v.suspectBy === "count" ? BY_COUNT : 0) |
      (v.growsWithoutLoad ? WITHOUT_LOAD : 0);
  }

  /** The table in leakVerdicts' order (suspects first, then net byte growth descending, then type name), in steps. */
  *finish(): Generator<void, VerdictTable, void> {
    const n = this.types.length;
    const types = this.types;
    const { netGrowthBytes } = this.cols;
    const flags = this.flags;
    const order = Array.from({ length: n }, (_, i) => i);
    yield* sortInSteps(order, (a, b) => {
      const sa = flags[a]! & SUSPECT;
      const sb = flags[b]! & SUSPECT;
      if (sa !== sb) return sb - sa;
      const d = netGrowthBytes[b]! - netGrowthBytes[a]!;
      if (d !== 0 && !Number.isNaN(d)) return d;
      const ta = types[a]!;
      const tb = types[b]!;
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    });
    const cols = columns(n);
    const sortedFlags = new Uint8Array(n);
    const sortedStates = new Uint8Array(n);
    const sortedTypes = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      for (const f of NUMBERS) cols[f][k] = this.cols[f][i]!;
      sortedFlags[k] = flags[i]!;
      sortedStates[k] = this.states[i]!;
      sortedTypes[k] = types[i]!;
      if ((k & 4095) === 4095) yield;
    }
    return new VerdictTable(sortedTypes, cols, sortedFlags, sortedStates, this.opts);
  }

  private grow(size: number): void {
    const cols = columns(size);
    for (const f of NUMBERS) cols[f].set(this.cols[f]);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    const states = new Uint8Array(size);
    states.set(this.states);
    this.cols = cols;
    this.flags = flags;
    this.states = states;
  }
}

export class VerdictTable {
  readonly length: number;
  /** The suspects are the first suspectCount verdicts. */
  readonly suspectCount: number;
  private index: Map<string, number> | undefined;
  /** Frozen verdict objects handed out by shared(), kept so that the same verdict is the same object. */
  private readonly shares = new Map<number, Readonly<TypeVerdict>>();
  private everything: readonly Readonly<TypeVerdict>[] | undefined;

  /** An empty table. */
  static empty(opts: ResolvedVerdictOptions): VerdictTable {
    return new VerdictTable([], columns(0), new Uint8Array(0), new Uint8Array(0), opts);
  }

  constructor(
    private readonly types: readonly string[],
    private readonly cols: Columns,
    private readonly flags: Uint8Array,
    private readonly states: Uint8Array,
    private readonly opts: ResolvedVerdictOptions,
  ) {
    this.length = types.length;
    let k = 0;
    while (k < this.length && (flags[k]! & SUSPECT) !== 0) k++;
    this.suspectCount = k;
  }

  type(i: number): string {
    return this.types[i]!;
  }

  /** The i-th verdict, a new object each time; undefined beyond the table. */
  at(i: number): TypeVerdict | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    const c = this.cols;
    const f = this.flags[i]!;
    const v: TypeVerdict = {
      type: this.types[i]!,
      dumps: c.dumps[i]!,
      spanSeconds: c.spanSeconds[i]!,
      lastBytes: c.lastBytes[i]!,
      lastCount: c.lastCount[i]!,
      bytesSlopePerSecond: c.bytesSlopePerSecond[i]!,
      objectsSlopePerSecond: c.objectsSlopePerSecond[i]!,
      recentBytesSlopePerSecond: c.recentBytesSlopePerSecond[i]!,
      earlyBytesSlopePerSecond: c.earlyBytesSlopePerSecond[i]!,
      mkP: c.mkP[i]!,
      mkPCount: c.mkPCount[i]!,
      streak: c.streak[i]!,
      netGrowthBytes: c.netGrowthBytes[i]!,
      netGrowthObjects: c.netGrowthObjects[i]!,
      relativeGrowth: c.relativeGrowth[i]!,
      bytesExact: (f & EXACT) !== 0,
      suspect: (f & SUSPECT) !== 0,
      state: VERDICT_STATES[this.states[i]!]!,
      proven: (f & PROVEN) !== 0,
      stateDumps: c.stateDumps[i]!,
      reason: "",
    };
    // The optional fields in the order judgeColumns adds them.
    if (f & BY_BYTES) v.suspectBy = "bytes";
    else if (f & BY_COUNT) v.suspectBy = "count";
    if (!Number.isNaN(c.bytesPerRequest[i]!)) v.bytesPerRequest = c.bytesPerRequest[i]!;
    if (!Number.isNaN(c.idleGrowthBytes[i]!)) {
      v.idleGrowthBytes = c.idleGrowthBytes[i]!;
      v.growsWithoutLoad = (f & WITHOUT_LOAD) !== 0;
    }
    if (!Number.isNaN(c.provenBytesPerSecond[i]!)) v.provenBytesPerSecond = c.provenBytesPerSecond[i]!;
    if (!Number.isNaN(c.flatBytesPerSecond[i]!)) v.flatBytesPerSecond = c.flatBytesPerSecond[i]!;
    if (!Number.isNaN(c.flatDumps[i]!)) v.flatDumps = c.flatDumps[i]!;
    if (f & WARMUP) v.warmup = true;
    v.reason = reasonOf(v, c.countRelative[i]!, this.opts);
    return v;
  }

  /** The i-th verdict's state, without making the verdict. */
  state(i: number): VerdictState {
    return VERDICT_STATES[this.states[i]!]!;
  }

  /** The i-th verdict, frozen, the same object on every call. */
  shared(i: number): Readonly<TypeVerdict> | undefined {
    let v = this.shares.get(i);
    if (!v) {
      const made = this.at(i);
      if (!made) return undefined;
      this.shares.set(i, (v = Object.freeze(made)));
    }
    return v;
  }

  /** Verdicts from..to (exclusive), new objects. */
  slice(from = 0, to = this.length): TypeVerdict[] {
    const out: TypeVerdict[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.length); i++) out.push(this.at(i)!);
    return out;
  }

  /** Where the type's verdict is (an index of the types built on first use); −1 when it has none. */
  indexOf(type: string): number {
    this.index ??= new Map(this.types.map((t, i) => [t, i]));
    return this.index.get(type) ?? -1;
  }

  /** What the type selector reads, one small object per type. */
  *growth(): Generator<GrowthInfo, void, void> {
    for (let i = 0; i < this.length; i++) {
      yield {
        type: this.types[i]!,
        suspect: (this.flags[i]! & SUSPECT) !== 0,
        netGrowthBytes: this.cols.netGrowthBytes[i]!,
        bytesSlopePerSecond: this.cols.bytesSlopePerSecond[i]!,
      };
    }
  }

  /**
   * Types whose instance count rises (Mann–Kendall p ≤ pMax, net growth > 0) or that are rising or leaking: the
   * candidate owners of a retention analysis (an owner may hold much while its own bytes stay under the floors).
   */
  countRisers(pMax = 0.05): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.length; i++) {
      const state = VERDICT_STATES[this.states[i]!];
      if (state === "rising" || state === "leaking" || (this.cols.mkPCount[i]! <= pMax && this.cols.netGrowthObjects[i]! > 0)) out.push(this.types[i]!);
    }
    return out;
  }

  /** Every verdict as frozen objects in a frozen array, made on first use and kept: costly for 100 k types. */
  all(): readonly Readonly<TypeVerdict>[] {
    this.everything ??= Object.freeze(Array.from({ length: this.length }, (_, i) => this.shared(i)!));
    return this.everything;
  }
}
