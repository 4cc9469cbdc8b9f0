// Reads Prometheus text exposition in tests: enough to look up samples by name and labels.
import { METRIC_CATALOG, sampleNames } from "../../src/collectors/catalog.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const lm of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
      }
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample matching name and (a subset of) labels; undefined when absent. */
export function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/**
 * leakwatch_* samples whose label names differ from those their catalog entry declares (what docs/metrics.md
 * lists), as "name{labels}: declared [...]" lines; a histogram's `le` on _bucket is its own.
 */
export function labelMismatches(samples: Sample[]): string[] {
  const out: string[] = [];
  for (const s of samples) {
    if (!s.name.startsWith("leakwatch_")) continue;
    const e = METRIC_CATALOG.find((x) => sampleNames(x).includes(s.name));
    const got = Object.keys(s.labels)
      .filter((l) => !(l === "le" && s.name.endsWith("_bucket")))
      .sort();
    if (!e) out.push(`${s.name}: not in the catalog`);
    else if (got.join(",") !== [...e.labels].sort().join(",")) out.push(`${s.name}{${got.join(",")}}: declared [${e.labels.join(",")}]`);
  }
  return [...new Set(out)];
}
