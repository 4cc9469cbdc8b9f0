// One target's retention: what keeps its growing types alive. Each dump that came with a heap graph is analysed
// (analysis/retention, off the event loop) into the retained bytes of its largest and growing types and its leaks;
// the retained bytes go into a verdict window of their own, so that an owner whose own size is small (`Session`) is
// proven to grow by what it holds. What is kept is small — the last `window` analyses' rows and leaks, and when each
// leak was first seen — and persisted in data-dir/retention/<target>.json (0600), so a restart keeps the history.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Logger } from "pino";
import { TypeWindow, type VerdictOptions, type VerdictTable } from "../analysis/index.js";
import type { RetainedType, RetentionResult } from "../analysis/retention/analyse.js";
import type { GraphLeak } from "../analysis/retention/leaks.js";
import type { PathStep } from "../analysis/retention/paths.js";
import { analyseRetentionOffThread } from "./retention-run.js";
import type { HeapGraph } from "../model/heap-graph.js";
import { makeDir, writeFileAtomic } from "../util/fs.js";
import { runInSlices } from "../util/slices.js";

/** --retention-analysis: when a dump's heap graph is read for retention. */
export const RETENTION_MODES = ["suspects", "always", "never"] as const;
export type RetentionMode = (typeof RETENTION_MODES)[number];

/** One leak as every reader shows it (API, metrics, UI, report): the shape of GET /api/v1/targets/NAME/leaks. */
export interface LeakView {
  /** The type whose instances pile up: the owner to fix. */
  root: string;
  /** Retained bytes of the root type's instances in the latest analysis. */
  retainedBytes: number;
  instances: number;
  /** Growth of the root's retained bytes (its Theil–Sen slope over the analyses), else of root and members' own bytes. */
  growthBytesPerSecond: number;
  /** The same against cumulative load requests, when load is known. */
  bytesPerRequest: number | null;
  members: { type: string; growthBytesPerSecond: number }[];
  /** From a GC root to one instance of the root type: one held at the accumulation point when there is one. */
  path: PathStep[];
  accumulationPoint: string | null;
  /** When this type was first found to be a leak's root (ISO-8601). */
  firstSeen: string;
  /** The root's retained bytes at each kept analysis, oldest first (its chart). */
  history: { time: number; retainedBytes: number }[];
}

export interface RetentionView {
  /** The dump the latest analysis read. */
  readonly dumpId: string;
  readonly time: number;
  /** How long the latest analysis took. */
  readonly durationSeconds: number;
  readonly nodes: number;
  readonly edges: number;
  readonly leaks: readonly Readonly<LeakView>[];
  /** Retained bytes per type in the latest analysis (the largest and the growing types). */
  readonly retained: ReadonlyMap<string, number>;
  /** Types whose retained bytes are proven to grow (the retained-bytes verdict's suspects). */
  readonly retainedSuspects: readonly string[];
}

interface Record {
  dumpId: string;
  time: number;
  requests?: number;
  durationSeconds: number;
  nodes: number;
  edges: number;
  types: RetainedType[];
  leaks: GraphLeak[];
}

const fileSchema = z.object({
  version: z.literal(1),
  records: z.array(z.any()),
  firstSeen: z.record(z.string(), z.number()),
});

export interface RetentionOptions {
  mode: RetentionMode;
  /** data-dir/retention: where the history is kept. */
  dir: string;
  verdict: VerdictOptions;
  window: number;
}

/** What the shallow verdicts say, for the analysis: who is proven to grow, and who only has more instances. */
export interface GrowthInput {
  suspects: ReadonlySet<string>;
  candidates: ReadonlySet<string>;
  /** The shallow verdicts, for the members' growth when the retained series is still short. */
  table: VerdictTable;
}

export class TargetRetention {
  private records: Record[] = [];
  private firstSeen = new Map<string, number>();
  private window: TypeWindow;
  private table: VerdictTable | undefined;
  private loaded: Promise<void>;
  private current: RetentionView | undefined;

  constructor(
    private readonly target: string,
    private readonly opts: RetentionOptions,
    private readonly log: Logger,
  ) {
    this.window = new TypeWindow(opts.window);
    this.loaded = this.load();
  }

  get mode(): RetentionMode {
    return this.opts.mode;
  }

  get view(): RetentionView | undefined {
    return this.current;
  }

  private get file(): string {
    return path.join(this.opts.dir, `${encodeURIComponent(this.target)}.json`);
  }

  /** Whether the next dump should come with its graph: always, never, or while something grows. */
  wantGraph(suspects: number): boolean {
    if (this.opts.mode === "always") return true;
    if (this.opts.mode === "never") return false;
    return suspects > 0 || (this.current?.leaks.length ?? 0) > 0;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return; // none kept yet
    }
    try {
      const data = fileSchema.parse(JSON.parse(text));
      this.firstSeen = new Map(Object.entries(data.firstSeen));
      for (const r of data.records as Record[]) await this.absorb(r);
    } catch (err) {
      this.log.warn({ target: this.target, file: this.file, err: String(err).split("\n")[0] }, "cannot read the kept retention history; starting without it");
      this.records = [];
      this.window = new TypeWindow(this.opts.window);
    }
  }

  private async save(): Promise<void> {
    // makeDir, not Node's recursive mkdir, which never settles under /proc (util/fs.ts).
    await makeDir(this.opts.dir, 0o700);
    const data = { version: 1, records: this.records, firstSeen: Object.fromEntries(this.firstSeen) };
    await writeFileAtomic(this.file, [JSON.stringify(data)]);
  }

  private async absorb(r: Record): Promise<void> {
    this.records.push(r);
    if (this.records.length > this.opts.window) this.records.shift();
    const rows = r.types.map((t) => ({ type: t.type, count: t.instances, bytes: t.retainedBytes }));
    const dump = { id: r.dumpId, time: r.time, bytesExact: true, ...(r.requests !== undefined ? { requests: r.requests } : {}) };
    await runInSlices(this.window.pushInSteps(dump, rows), 10);
    this.table = await runInSlices(this.window.verdicts(this.opts.verdict, 256), 10);
  }

  /**
   * Analyses one dump's graph (moved to a worker: unusable afterwards) with what the shallow verdicts say, and
   * publishes the leaks. Rejects when the analysis fails; the history is unchanged then.
   */
  async analyse(graph: HeapGraph, dump: { id: string; time: number; requests?: number }, growth: GrowthInput, signal?: AbortSignal): Promise<RetentionView> {
    await this.loaded;
    const suspects = new Set(growth.suspects);
    // A type proven to grow by what it retains is a leak's owner only when it has more and more instances: what
    // holds one growing collection (a registry, a module, the global object) retains more and more too, once.
    for (const t of this.current?.retainedSuspects ?? []) if (growth.candidates.has(t)) suspects.add(t);
    const started = Date.now();
    // By how much each growing type grew over the window (its Theil–Sen growth), for the members' shares.
    const grew = new Map<string, number>();
    for (const t of [...suspects, ...growth.candidates]) {
      const v = growth.table.at(growth.table.indexOf(t));
      if (v !== undefined && v.netGrowthBytes > 0) grew.set(t, v.netGrowthBytes);
    }
    const result: RetentionResult = await analyseRetentionOffThread(graph, suspects, growth.candidates, grew, signal);
    const durationSeconds = (Date.now() - started) / 1000;
    const record: Record = {
      dumpId: dump.id,
      time: dump.time,
      durationSeconds,
      nodes: result.nodes,
      edges: result.edges,
      types: result.types,
      leaks: result.leaks,
      ...(dump.requests !== undefined ? { requests: dump.requests } : {}),
    };
    await this.absorb(record);
    for (const l of result.leaks) if (!this.firstSeen.has(l.root)) this.firstSeen.set(l.root, dump.time);
    await this.save().catch((err: unknown) =>
      this.log.warn({ target: this.target, err: (err as Error).message }, "cannot keep the retention history on disk; it lives in memory only"),
    );
    this.current = this.publish(record, growth.table);
    return this.current;
  }

  private publish(r: Record, shallow: VerdictTable): RetentionView {
    const retainedTable = this.table;
    const retainedVerdict = (type: string) => {
      const v = retainedTable?.at(retainedTable.indexOf(type));
      return v !== undefined && v.dumps >= 2 ? v : undefined;
    };
    const shallowVerdict = (type: string) => shallow.at(shallow.indexOf(type));
    const leaks = r.leaks.map((l): LeakView => {
      const rv = retainedVerdict(l.root);
      const parts = [l.root, ...l.members.map((m) => m.type)].map(shallowVerdict);
      const sum = (f: (v: NonNullable<(typeof parts)[number]>) => number | undefined): number | null => {
        let total = 0;
        let any = false;
        for (const v of parts) {
          const x = v === undefined ? undefined : f(v);
          if (x !== undefined && Number.isFinite(x)) {
            total += x;
            any = true;
          }
        }
        return any ? total : null;
      };
      return {
        root: l.root,
        retainedBytes: l.retainedBytes,
        instances: l.instances,
        growthBytesPerSecond: rv?.bytesSlopePerSecond ?? sum((v) => v.bytesSlopePerSecond) ?? 0,
        bytesPerRequest: rv?.bytesPerRequest ?? sum((v) => v.bytesPerRequest),
        members: l.members.map((m) => ({ type: m.type, growthBytesPerSecond: shallowVerdict(m.type)?.bytesSlopePerSecond ?? 0 })),
        path: l.path,
        accumulationPoint: l.accumulationPoint,
        firstSeen: new Date(this.firstSeen.get(l.root) ?? r.time).toISOString(),
        history: this.records.flatMap((rec) => {
          const row = rec.types.find((t) => t.type === l.root);
          return row ? [{ time: rec.time, retainedBytes: row.retainedBytes }] : [];
        }),
      };
    });
    const retainedSuspects: string[] = [];
    if (retainedTable) for (let i = 0; i < retainedTable.suspectCount; i++) retainedSuspects.push(retainedTable.type(i));
    return Object.freeze({
      dumpId: r.dumpId,
      time: r.time,
      durationSeconds: r.durationSeconds,
      nodes: r.nodes,
      edges: r.edges,
      leaks: Object.freeze(leaks.map((l) => Object.freeze(l))),
      retained: new Map(r.types.map((t) => [t.type, t.retainedBytes])),
      retainedSuspects: Object.freeze(retainedSuspects),
    });
  }

  /** The view from the kept history (after a restart), once it is read; undefined when there is none. */
  async restored(shallow: VerdictTable): Promise<RetentionView | undefined> {
    await this.loaded;
    const last = this.records.at(-1);
    if (last !== undefined) this.current = this.publish(last, shallow);
    return this.current;
  }
}
