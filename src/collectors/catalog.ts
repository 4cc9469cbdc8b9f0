// Every metric leakwatch can expose, for the Prometheus/Grafana bundle (prometheus/, grafana/): its tests check
// that each rule and dashboard query names only these. The descriptors come from the collectors themselves (each
// collector's `metrics` field; constructing a collector only stores its arguments), so a renamed metric breaks
// those tests instead of silently emptying a panel. test/bundle/catalog.test.ts checks that a running daemon's
// /metrics exposes nothing missing here: a new collector must be listed below.
import { ProcFs } from "../procfs/process.js";
import type { DumpStore } from "../heap/store.js";
import type { MetricDesc } from "./collector.js";
import { TargetCollector } from "./target.js";
import { ProcessMemoryCollector } from "./process-memory.js";
import { CgroupMemoryCollector } from "./cgroup-memory.js";
import { HostCollector } from "./host.js";
import { HeapCollector } from "./heap.js";
import { DotnetRuntimeCollector } from "./dotnet-runtime.js";
import { SUCCESS, DURATION } from "./registry.js";
import { LoadCollector, DURATION_NAME as LOAD_DURATION } from "./load.js";
import type { LoadManager } from "../load/manager.js";

/** A metric family as exposed; histogram and summary families expose more than one sample name. */
export interface CatalogEntry {
  name: string;
  type: "gauge" | "counter" | "histogram" | "summary";
  help: string;
  /** The collector that declares it ("registry" for the per-collector scrape metrics, "build" for build info). */
  collector: string;
}

const none = () => [];
const collectors = [
  new TargetCollector(none),
  new ProcessMemoryCollector(none, new ProcFs(), { pssMaxRss: 0, clockTicks: 100 }),
  new CgroupMemoryCollector(none),
  new HostCollector(),
  new HeapCollector(none, undefined as unknown as DumpStore),
  new DotnetRuntimeCollector({ targets: none }),
  new LoadCollector(undefined as unknown as LoadManager),
];

const entry = (collector: string) => (d: MetricDesc): CatalogEntry => ({ name: d.name, type: d.type, help: d.help, collector });

/** leakwatch's own metric families (leakwatch_*), in declaration order. */
export const METRIC_CATALOG: readonly CatalogEntry[] = [
  ...collectors.flatMap((c) => c.metrics.map(entry(c.name))),
  // Declared by the registry (per-collector scrape health) and inline in index.ts (build info).
  ...[SUCCESS, DURATION].map(entry("registry")),
  { name: "leakwatch_build_info", type: "gauge", help: "leakwatch's version; always 1.", collector: "build" },
  // A read-at-scrape histogram registered next to the load collector (load.ts).
  { name: LOAD_DURATION, type: "histogram", help: "How long load requests took (any outcome), as seen by leakwatch's hammer.", collector: "load" },
];

/** The sample names a family exposes (a histogram's _bucket, _sum and _count). */
export function sampleNames(e: Pick<CatalogEntry, "name" | "type">): string[] {
  if (e.type === "histogram") return [`${e.name}_bucket`, `${e.name}_sum`, `${e.name}_count`];
  if (e.type === "summary") return [e.name, `${e.name}_sum`, `${e.name}_count`];
  return [e.name];
}

/** Every leakwatch_* sample name leakwatch can expose. */
export const METRIC_NAMES: readonly string[] = METRIC_CATALOG.flatMap(sampleNames);

/** prom-client's default process_* and nodejs_* metrics about leakwatch itself (see index.ts). */
export const RUNTIME_METRIC_PREFIXES = ["process_", "nodejs_"] as const;

/** Whether leakwatch can expose a sample of this name. */
export function isExposed(name: string): boolean {
  return METRIC_NAMES.includes(name) || RUNTIME_METRIC_PREFIXES.some((p) => name.startsWith(p));
}
