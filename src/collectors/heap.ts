// Per-type heap statistics from the latest stored dump and the leak verdicts over the recent ones. Reads only
// each target's current HeapView: the dumps themselves happen on the scheduler's time, never on the scrape path.
import type { HeapView } from "../heap/state.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";
import { OTHER_TYPE, typeLabel } from "../model/summary.js";
import { VERDICT_STATES } from "../analysis/index.js";

const TYPE_OBJECTS = gauge(
  "leakwatch_heap_type_objects",
  'Objects of the type in the latest heap dump; types beyond --max-types are summed in heap_type="(other)".',
  ["target", "heap_type"],
);
const TYPE_BYTES = gauge("leakwatch_heap_type_bytes", "Bytes of the type in the latest heap dump (shallow sizes; see leakwatch_heap_bytes_exact).", [
  "target",
  "heap_type",
]);
const OBJECTS = gauge("leakwatch_heap_objects", "Objects in the latest heap dump.", ["target"]);
const BYTES = gauge("leakwatch_heap_bytes", "Bytes in the latest heap dump.", ["target"]);
const EXACT = gauge("leakwatch_heap_bytes_exact", "1 when the latest dump's bytes per type are exact, 0 when they are estimates (e.g. dotnet-gcdump report).", [
  "target",
]);
const DUMPS = counter("leakwatch_heap_dumps_total", "Heap dumps by result (success, failure, skipped) and reason.", ["target", "result", "reason"]);
const DURATION = gauge(
  "leakwatch_heap_dump_duration_seconds",
  'How long the last heap dump took, successful or not; kind: what the dump was when the source says (a JVM\'s "histogram", or "hprof", which pauses the JVM for its duration), else "dump".',
  ["target", "kind"],
);
const LAST_SUCCESS = gauge("leakwatch_heap_dump_last_success_timestamp_seconds", "When the last successful heap dump finished, since the Unix epoch.", [
  "target",
]);
const SOURCE = gauge("leakwatch_heap_source_info", "The heap source chosen for the target; always 1.", ["target", "source", "runtime"]);
const GROWTH_BYTES = gauge("leakwatch_heap_type_growth_bytes_per_second", "Theil-Sen slope of the type's bytes over the verdict window.", [
  "target",
  "heap_type",
]);
const GROWTH_OBJECTS = gauge("leakwatch_heap_type_growth_objects_per_second", "Theil-Sen slope of the type's object count over the verdict window.", [
  "target",
  "heap_type",
]);
const STREAK = gauge("leakwatch_heap_type_increase_streak", "Consecutive dumps, ending with the latest, in which the type's bytes did not decrease.", [
  "target",
  "heap_type",
]);
const PER_REQUEST = gauge(
  "leakwatch_heap_type_retained_bytes_per_request",
  "Theil-Sen slope of the type's bytes against cumulative load requests over the verdict window; only when load is known.",
  ["target", "heap_type"],
);
const SUSPECT = gauge(
  "leakwatch_heap_type_leak_suspect",
  "1 when leakwatch's verdict state for the type is leaking (proven by a Mann-Kendall trend plus growth floors, and no sustained plateau or decline since), else 0.",
  ["target", "heap_type"],
);
const VERDICT = gauge(
  "leakwatch_heap_type_verdict",
  "1 for the type's verdict state (stable, rising: young and not proven, leaking, settling: stopped rising after leaking), 0 for the other three; exported types only.",
  ["target", "heap_type", "state"],
);

const RETAINED = gauge(
  "leakwatch_heap_type_retained_bytes",
  "Bytes the type's instances keep alive (their own and all they alone hold; an instance inside another of the same type counted once), from the latest retention analysis; exported types only.",
  ["target", "heap_type"],
);
const LEAK = gauge(
  "leakwatch_leak_suspect",
  "1 for each leak's root: a growing type whose instances hold the other growing types (its members, which get no series here) and pile up in one place; see GET /api/v1/targets/NAME/leaks for its path.",
  ["target", "heap_type"],
);
const LEAK_INFO = gauge(
  "leakwatch_leak_info",
  "Each leak's shape; always 1: the type its root's instances pile up in, and the types on its path from a GC root (edge names, which can be program data, only in the API).",
  ["target", "heap_type", "accumulation_point", "path"],
);
const LEAK_RETAINED = gauge(
  "leakwatch_leak_retained_bytes",
  "Bytes the leak root's instances keep alive, members included, in the latest retention analysis.",
  ["target", "heap_type"],
);
const LEAK_GROWTH = gauge(
  "leakwatch_leak_growth_bytes_per_second",
  "Theil-Sen slope of the leak root's retained bytes over the retention analyses (its and its members' own bytes while there are fewer than two).",
  ["target", "heap_type"],
);
const RETENTION_RUNS = counter("leakwatch_retention_analyses_total", "Retention analyses of heap graphs (dominators, retained sizes, leaks) by result.", [
  "target",
  "result",
]);
const RETENTION_DURATION = gauge("leakwatch_retention_analysis_duration_seconds", "How long the latest successful retention analysis took.", ["target"]);

export const heapCollector: CollectorDefinition<{ heaps: () => HeapView[] }> = {
  name: "heap",
  help: "Per-type heap statistics from the latest stored dump, dump health, and the leak verdicts over the recent dumps.",
  metrics: [
    TYPE_OBJECTS,
    TYPE_BYTES,
    OBJECTS,
    BYTES,
    EXACT,
    DUMPS,
    DURATION,
    LAST_SUCCESS,
    SOURCE,
    GROWTH_BYTES,
    GROWTH_OBJECTS,
    STREAK,
    SUSPECT,
    VERDICT,
    PER_REQUEST,
    RETAINED,
    LEAK,
    LEAK_INFO,
    LEAK_RETAINED,
    LEAK_GROWTH,
    RETENTION_RUNS,
    RETENTION_DURATION,
  ],
  create: (deps) => new HeapCollector(deps.heaps),
};

export class HeapCollector implements Collector {
  readonly name = heapCollector.name;
  readonly metrics = heapCollector.metrics;

  constructor(private readonly heaps: () => HeapView[]) {}

  async collect(out: Emitter): Promise<void> {
    for (const h of this.heaps()) {
      const target = h.target;
      out.emit(SOURCE, { target, source: h.source, runtime: h.runtime }, 1);
      // Both results always exist so that rate() and increase() see the first failure.
      out.emit(DUMPS, { target, result: "success", reason: "" }, h.counts.success?.[""] ?? 0);
      for (const [result, reasons] of Object.entries(h.counts)) {
        if (result === "success") continue;
        for (const [reason, n] of Object.entries(reasons!)) out.emit(DUMPS, { target, result, reason }, n);
      }
      out.emit(DURATION, { target, kind: h.lastOutcome?.summary?.kind ?? "dump" }, h.lastDurationSeconds);
      out.emit(LAST_SUCCESS, { target }, h.lastSuccessSeconds);
      out.emit(RETENTION_RUNS, { target, result: "success" }, h.retentionRuns.success);
      out.emit(RETENTION_RUNS, { target, result: "failure" }, h.retentionRuns.failure);
      const retention = h.retention;
      if (retention) {
        out.emit(RETENTION_DURATION, { target }, retention.durationSeconds);
        for (const l of retention.leaks) {
          const labels = { target, heap_type: typeLabel(l.root) };
          out.emit(LEAK, labels, 1);
          out.emit(LEAK_INFO, { ...labels, accumulation_point: l.accumulationPoint ?? "", path: typePath(l.path) }, 1);
          out.emit(LEAK_RETAINED, labels, l.retainedBytes);
          out.emit(LEAK_GROWTH, labels, l.growthBytesPerSecond);
        }
      }

      const latest = h.latest;
      if (!latest) continue;
      out.emit(OBJECTS, { target }, latest.totalObjects);
      out.emit(BYTES, { target }, latest.totalBytes);
      out.emit(EXACT, { target }, latest.bytesExact ? 1 : 0);
      // Computed once per dump (HeapState): a scrape of a target with 100 k types touches only the exported ones.
      for (const r of h.trackedRows) {
        out.emit(TYPE_OBJECTS, { target, heap_type: typeLabel(r.type) }, r.count);
        out.emit(TYPE_BYTES, { target, heap_type: typeLabel(r.type) }, r.bytes);
        const retained = retention?.retained.get(r.type);
        if (retained !== undefined) out.emit(RETAINED, { target, heap_type: typeLabel(r.type) }, retained);
      }
      if (h.selection) {
        out.emit(TYPE_OBJECTS, { target, heap_type: OTHER_TYPE }, h.selection.other.count);
        out.emit(TYPE_BYTES, { target, heap_type: OTHER_TYPE }, h.selection.other.bytes);
      }
      for (const v of h.trackedVerdicts) {
        const labels = { target, heap_type: typeLabel(v.type) };
        out.emit(GROWTH_BYTES, labels, v.bytesSlopePerSecond);
        out.emit(GROWTH_OBJECTS, labels, v.objectsSlopePerSecond);
        out.emit(STREAK, labels, v.streak);
        out.emit(SUSPECT, labels, v.suspect ? 1 : 0);
        // All four states, one of them 1: a state change is a change of value, not a series that vanishes.
        for (const state of VERDICT_STATES) out.emit(VERDICT, { ...labels, state }, v.state === state ? 1 : 0);
        out.emit(PER_REQUEST, labels, v.bytesPerRequest);
      }
    }
  }
}

/** A leak's path as types only, bounded: the label of leakwatch_leak_info. */
function typePath(path: readonly { type: string }[]): string {
  const text = path.map((p) => typeLabel(p.type)).join(" → ");
  return text.length <= 300 ? text : `…${text.slice(-299)}`;
}
