// Every metric leakwatch can expose, for the Prometheus/Grafana bundle (prometheus/, grafana/) and docs/metrics.md:
// the bundle's tests check that each rule and dashboard query names only these. The entries come from the list of
// collectors the daemon registers (index.ts), so a renamed metric breaks those tests instead of silently emptying a
// panel. test/bundle/catalog.test.ts checks that a running daemon's /metrics exposes nothing missing here.
import type { FamilyDesc } from "./collector.js";
import { SUCCESS, DURATION } from "./registry.js";
import { BUILD_INFO, COLLECTORS } from "./index.js";

/** A metric family as exposed; histogram and summary families expose more than one sample name. */
export interface CatalogEntry extends FamilyDesc {
  /** The collector that declares it ("registry" for the per-collector scrape metrics, "build" for build info). */
  collector: string;
}

const entry =
  (collector: string) =>
  (d: FamilyDesc): CatalogEntry => ({ name: d.name, type: d.type, help: d.help, labels: d.labels, collector });

/** leakwatch's own metric families (leakwatch_*), in exposition order. */
export const METRIC_CATALOG: readonly CatalogEntry[] = [
  ...[SUCCESS, DURATION].map(entry("registry")),
  ...COLLECTORS.flatMap((c) => [...c.metrics, ...(c.views ?? [])].map(entry(c.name))),
  entry("build")(BUILD_INFO),
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
