// The alerting and recording rules in prometheus/rules/: conventions checked here, behaviour by promtool's unit
// tests in prometheus/tests/ (firing and not firing: dips, plateaus, restarts, scrape gaps, stale series).
// promtool comes from Debian's `prometheus` package (scripts/test.sh installs it); without it those tests skip.
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { skipReason, which } from "../helpers/env.js";
import { parsePromQL, isKnownMetric } from "./promql.js";
import { ROOT, RULES_FILE, RUNBOOK_URL, readRuleGroups, ruleTestFiles, runbookAnchors } from "./bundle-files.js";

const groups = readRuleGroups();
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const recorded = rules.flatMap((r) => (r.record ? [r.record] : []));

const REQUIRED = [
  "LeakwatchHeapTypeGrowing",
  "LeakwatchHeapTypeLeakSuspected",
  "LeakwatchOomPredicted",
  "LeakwatchNativeMemoryGrowing",
  "LeakwatchOomKill",
  "LeakwatchMemoryLimitReached",
  "LeakwatchMemoryHighThrottled",
  "LeakwatchLeakSuspected",
  "LeakwatchHeapDumpsFailing",
  "LeakwatchHeapDumpStale",
  "LeakwatchTargetDown",
  "LeakwatchExporterDown",
];

describe("alert rule conventions", () => {
  it("has the alerts the bundle promises, each once", () => {
    const names = alerts.map((a) => a.alert!);
    expect(new Set(names).size).toBe(names.length);
    for (const n of REQUIRED) expect(names).toContain(n);
  });

  it.each(alerts.map((a) => [a.alert!, a] as const))("%s: name, severity, summary, description, runbook", (name, a) => {
    expect(name).toMatch(/^Leakwatch[A-Z][A-Za-z0-9]*$/);
    expect(["critical", "warning", "info"]).toContain(a.labels?.severity);
    const { summary, description, runbook_url } = a.annotations ?? {};
    expect(summary, "summary is static").not.toMatch(/\{\{/);
    expect(summary).toMatch(/^[A-Za-z].*\.$/);
    expect(description, "description is templated").toMatch(/\{\{.*\$(labels|value).*\}\}/);
    expect(runbook_url!.startsWith(`${RUNBOOK_URL}#`), `runbook_url starts with prometheus/settings.yml's runbookBase`).toBe(true);
    const anchor = runbook_url!.slice(RUNBOOK_URL.length + 1);
    expect(anchor).toBe(name.toLowerCase());
    expect(runbookAnchors(), `docs/runbook.md has a section "## ${name}"`).toContain(anchor);
    const section = readFileSync(path.join(ROOT, "docs/runbook.md"), "utf8")
      .split(/^## /m)
      .find((s) => s.startsWith(`${name}\n`))!;
    expect(section, `the runbook section of ${name} says what to do`).toMatch(/\*\*Do/);
  });

  it.each(rules.map((r) => [r.alert ?? r.record!, r] as const))("%s: parses as PromQL and names only metrics leakwatch exposes", (_, r) => {
    const { errors, metrics } = parsePromQL(r.expr);
    expect(errors).toEqual([]);
    expect(metrics.filter((m) => !isKnownMetric(m, recorded))).toEqual([]);
  });

  it("the promtool tests expect each alert's own runbook_url", () => {
    const expected = ruleTestFiles().flatMap((f) => {
      const doc = YAML.parse(readFileSync(f, "utf8")) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: { exp_annotations?: Record<string, string> }[] }[] }[];
      };
      return doc.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .flatMap((c) => (c.exp_alerts ?? []).map((a) => [c.alertname, a.exp_annotations?.runbook_url] as const));
    });
    expect(expected.length).toBeGreaterThan(10);
    for (const [alertname, url] of expected) expect(url, alertname).toBe(alerts.find((a) => a.alert === alertname)?.annotations?.runbook_url);
  });

  it("every runbook_url is built from prometheus/settings.yml (node scripts/generate-prometheusrule.mjs --check)", async () => {
    const r = await execa(process.execPath, [path.join(ROOT, "scripts/generate-prometheusrule.mjs"), "--check"], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it("has promtool tests for every alert, firing and not firing", () => {
    const cases = ruleTestFiles().flatMap((f) => {
      const doc = YAML.parse(readFileSync(f, "utf8")) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    });
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${a.alert} has a firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${a.alert} has a not-firing case`,
      ).toBe(true);
    }
  });
});

const promtool = which("promtool");
describe.skipIf(skipReason("promtool rule checks", promtool ? null : "promtool not installed (Debian package prometheus; scripts/test.sh installs it)"))(
  "promtool",
  () => {
    it("check rules", async () => {
      const r = await execa("promtool", ["check", "rules", RULES_FILE], { reject: false });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    });

    it("check config (prometheus.yml, with its rule files)", async () => {
      const r = await execa("promtool", ["check", "config", path.join(ROOT, "prometheus/prometheus.yml")], { reject: false });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    });

    it.each(ruleTestFiles().map((f) => [path.relative(ROOT, f), f]))("test rules %s", async (_, file) => {
      const r = await execa("promtool", ["test", "rules", file], { reject: false, cwd: path.dirname(file) });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    });
  },
);
