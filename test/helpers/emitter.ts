// A collector's output captured in memory, for tests that call collect() directly instead of scraping.
import type { Emitter, Labels, MetricDesc } from "../../src/collectors/collector.js";

export class Samples implements Emitter {
  readonly rows: Array<{ name: string; labels: Labels; value: number }> = [];
  emit(desc: MetricDesc, labels: Labels, value: number | undefined): void {
    // Every sample carries exactly the labels its descriptor declares (what docs/metrics.md lists).
    const names = Object.keys(labels).sort().join(",");
    if (names !== [...desc.labels].sort().join(",")) throw new Error(`${desc.name}: labels {${names}}, declared [${desc.labels.join(",")}]`);
    if (value !== undefined && Number.isFinite(value)) this.rows.push({ name: desc.name, labels, value });
  }
  fail(err: unknown): void {
    throw err;
  }
  get(name: string, labels: Labels = {}): number | undefined {
    return this.rows.find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v))?.value;
  }
}
