// Reading the generated Grafana dashboards in tests: every PromQL query they hold (panels, annotations, variables)
// and the substitution of template variables as Grafana does it before a query reaches Prometheus.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ROOT } from "./bundle-files.js";

export const DASHBOARD_DIR = path.join(ROOT, "grafana/dashboards");
export const PROVISIONING_DIR = path.join(ROOT, "grafana/provisioning");

// biome-ignore lint/suspicious/noExplicitAny: parsed dashboard JSON is walked loosely; the tests assert on its shape
export type Json = any;

export interface DashboardQuery {
  /** Where it is, for messages: "Soak overview / Headroom / A". */
  where: string;
  kind: "panel" | "annotation" | "variable";
  /** PromQL as Grafana sends it, before variables are substituted. For a label_values() variable: its selector. */
  expr: string;
  instant: boolean;
}

export const dashboardFiles = (): string[] =>
  readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
export const readDashboard = (file: string): Json => JSON.parse(readFileSync(path.join(DASHBOARD_DIR, file), "utf8"));

export function allPanels(d: Json): Json[] {
  return (d.panels ?? []).flatMap((p: Json) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(d: Json): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const title = d.title.replace(/^leakwatch \/ /, "");
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      out.push({ where: `${title} / ${p.title} / ${t.refId}`, kind: "panel", expr: t.expr, instant: t.instant === true && t.range !== true });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.expr !== undefined) out.push({ where: `${title} / annotation ${a.name}`, kind: "annotation", expr: a.expr, instant: false });
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : v.query.query;
    const m = /^label_values\((?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q.trim());
    if (!m) throw new Error(`${title}: variable ${v.name}: unsupported query ${q}`);
    if (m[1]) out.push({ where: `${title} / variable ${v.name}`, kind: "variable", expr: m[1], instant: true });
  }
  return out;
}

/** Grafana's built-in interval variables, as a short dashboard range would give them. */
export const BUILTINS: Record<string, string> = {
  __rate_interval: "1m",
  __interval: "15s",
  __interval_ms: "15000",
  __range: "1h",
  __range_s: "3600",
  __range_ms: "3600000",
};

/** Substitutes $name, ${name} and ${name:fmt} (and [[name]]) with the given values or the built-ins. */
export function interpolate(expr: string, values: Record<string, string>): string {
  const all = { ...BUILTINS, ...values };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const v = all[name];
    if (v === undefined) throw new Error(`no value for variable ${name} in ${expr}`);
    return v;
  });
}

/** Values of a dashboard's custom variables (their current value): query variables must be given. */
export function customVariableValues(d: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of d.templating?.list ?? []) {
    if (v.type === "custom") out[v.name] = String(v.current?.value ?? String(v.query).split(",")[0]);
  }
  return out;
}

export interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
}

export function provisionedDatasources(): ProvisionedDatasource[] {
  const dir = path.join(PROVISIONING_DIR, "datasources");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => (YAML.parse(readFileSync(path.join(dir, f), "utf8")) as { datasources: ProvisionedDatasource[] }).datasources);
}

/** Every `datasource` value anywhere in a dashboard, with its JSON path. */
export function datasourceRefs(node: Json, at = "$"): { at: string; ref: Json }[] {
  if (Array.isArray(node)) return node.flatMap((x, i) => datasourceRefs(x, `${at}[${i}]`));
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([k, v]) => [...(k === "datasource" ? [{ at: `${at}.${k}`, ref: v }] : []), ...datasourceRefs(v, `${at}.${k}`)]);
}
