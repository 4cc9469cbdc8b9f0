// PromQL checks shared by the bundle's tests: parse with Prometheus' own Lezer grammar (the one Grafana and the
// Prometheus UI use), fail on any error node, and list the metric names a query selects.
import { parser } from "@prometheus-io/lezer-promql";
import { isExposed } from "../../src/collectors/catalog.js";

export interface Parsed {
  errors: string[];
  metrics: string[];
}

export function parsePromQL(query: string): Parsed {
  const errors: string[] = [];
  const metrics = new Set<string>();
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${JSON.stringify(query.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") metrics.add(query.slice(node.from, node.to));
    },
  });
  return { errors, metrics: [...metrics] };
}

/** Metric names a query may use besides leakwatch's own: Prometheus' per-target series and rule outputs. */
export function isKnownMetric(name: string, recorded: readonly string[] = []): boolean {
  return isExposed(name) || name === "up" || recorded.includes(name);
}
