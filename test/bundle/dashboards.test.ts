// The Grafana dashboards: generated from grafana/src/dashboards.ts (the committed JSON must be current), every
// query valid PromQL naming only metrics leakwatch exposes, every datasource the provisioned one.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { DASHBOARDS, render } from "../../grafana/src/dashboards.js";
import { parsePromQL, isKnownMetric } from "./promql.js";
import {
  DASHBOARD_DIR,
  PROVISIONING_DIR,
  allPanels,
  customVariableValues,
  dashboardFiles,
  dashboardQueries,
  datasourceRefs,
  interpolate,
  provisionedDatasources,
  readDashboard,
} from "./grafana.js";

const files = dashboardFiles();

describe("generated dashboards", () => {
  it("the committed JSON is what grafana/src/dashboards.ts builds (run `npm run dashboards`)", () => {
    expect(files).toEqual(Object.keys(DASHBOARDS).sort());
    for (const [file, build] of Object.entries(DASHBOARDS)) {
      const committed = readFileSync(path.join(DASHBOARD_DIR, file), "utf8");
      expect(committed === render(build()), `grafana/dashboards/${file} is out of date: run npm run dashboards`).toBe(true);
    }
  });

  it("have the expected titles, stable uids, unique panel ids and the required panels", () => {
    const byUid = new Map(files.map((f) => [readDashboard(f).uid, readDashboard(f)]));
    expect([...byUid.keys()].sort()).toEqual(["leakwatch-heap-types", "leakwatch-soak-overview"]);
    const overview = byUid.get("leakwatch-soak-overview");
    const heap = byUid.get("leakwatch-heap-types");
    expect(overview.title).toBe("leakwatch / Soak overview");
    expect(heap.title).toBe("leakwatch / Heap types");
    for (const d of [overview, heap]) {
      const ids = allPanels(d).map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(d.templating.list.map((v: { name: string }) => v.name)).toContain("target");
      expect(d.annotations.list.map((a: { name: string }) => a.name)).toEqual(["Restarts", "OOM kills"]);
    }
    const titles = (d: unknown) => allPanels(d).map((p) => p.title as string);
    for (const t of [
      "Memory vs effective limit",
      "Headroom",
      "Predicted time to OOM",
      "Load rate",
      "Retained bytes per request",
      "cgroup memory events",
      "Heap dumps",
      "Last successful dump",
    ]) {
      expect(titles(overview)).toContain(t);
    }
    for (const t of ["Leaks by owner", "Retained bytes by leak", "Top types by bytes", "Growth slopes", "Suspects", "$heap_type: bytes and objects"])
      expect(titles(heap)).toContain(t);
    expect(allPanels(heap).find((p) => p.title === "Leaks by owner").type).toBe("table");
    expect(allPanels(heap).find((p) => p.title === "Leaks").type).toBe("row");
    expect(heap.templating.list.map((v: { name: string }) => v.name)).toContain("heap_type");
    expect(allPanels(heap).find((p) => p.title === "Suspects").type).toBe("table");
  });
});

describe.each(files)("grafana/dashboards/%s", (file) => {
  const d = readDashboard(file);
  const queries = dashboardQueries(d);
  const values = { ...customVariableValues(d), target: "demo", heap_type: "Session" };

  it("has queries in panels, annotations and variables", () => {
    expect(queries.filter((q) => q.kind === "panel").length).toBeGreaterThan(5);
    expect(queries.filter((q) => q.kind === "annotation").length).toBe(2);
  });

  it.each(queries.map((q) => [q.where, q] as const))("%s parses and names only leakwatch metrics", (_, q) => {
    const expr = interpolate(q.expr, values);
    const { errors, metrics } = parsePromQL(expr);
    expect(errors, expr).toEqual([]);
    expect(metrics.length, `${expr} selects a metric`).toBeGreaterThan(0);
    expect(
      metrics.filter((m) => !isKnownMetric(m)),
      expr,
    ).toEqual([]);
  });

  it("refers only to the provisioned Prometheus datasource", () => {
    const prom = provisionedDatasources().filter((ds) => ds.type === "prometheus");
    expect(prom).toHaveLength(1);
    const refs = datasourceRefs(d);
    expect(refs.length).toBeGreaterThan(queries.length);
    for (const { at, ref } of refs) expect(ref, at).toEqual({ type: "prometheus", uid: prom[0]!.uid });
  });
});

describe("grafana provisioning", () => {
  it("loads the dashboards folder with a file provider", () => {
    const doc = YAML.parse(readFileSync(path.join(PROVISIONING_DIR, "dashboards/leakwatch.yml"), "utf8"));
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0].type).toBe("file");
    expect(doc.providers[0].options.path).toBe("/var/lib/grafana/dashboards/leakwatch");
  });

  it("provisions Prometheus at the compose service's address", () => {
    const prom = provisionedDatasources().find((ds) => ds.type === "prometheus")!;
    expect(prom.url).toBe("http://prometheus:9090");
    expect(prom.uid).toBe("leakwatch-prometheus");
  });
});
