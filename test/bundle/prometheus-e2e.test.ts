// End to end with a real Prometheus (Debian's `prometheus` binary; skipped with the reason printed when absent):
// the built CLI watches a leaking Node program (test/fixtures/targets/leaky.js: LeakyThing retained forever,
// StableThing/StableOther stable) and a steady one (the same program with perTick 0), with a heap dump every 2 s;
// Prometheus scrapes it every second and evaluates the repository's rules every second. Asserted through
// Prometheus' HTTP API: every rule evaluates without error; LeakwatchHeapTypeGrowing and
// LeakwatchHeapTypeLeakSuspected fire for LeakyThing and never (not even pending) for a type of the steady program
// or for the leaking program's stable types; every dashboard query (variables substituted) runs without error.
//
// The rules are the repository's file with time compressed 150 times, written to the test's directory:
//   - every range selector, offset and `for:` is divided by 150 (1h -> 24s, 30m -> 12s, 55m -> 22s, 10m -> 4s);
//   - constants in seconds are divided likewise (OOM horizon 7200 -> 48, stale-dump age 1800 -> 12);
//   - LeakwatchHeapTypeGrowing's floor of 1 MiB per window becomes 100 KiB per 24 s window: LeakyThing grows about
//     400 KiB in that time, while V8's own "(compiled code)" grows monotonically by about 20 KiB in a fresh
//     program (the production floor of 1 MiB/hour is for the same reason).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa, type ResultPromise } from "execa";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { skipReason, sleep, waitFor, which } from "../helpers/env.js";
import { ROOT, RULES_FILE, RUNBOOK_URL, type RuleGroup } from "./bundle-files.js";
import { dashboardFiles, dashboardQueries, interpolate, customVariableValues, readDashboard } from "./grafana.js";

const FACTOR = 150;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function scaled(amount: string, unit: string): string {
  const ms = (Number(amount) * UNIT_MS[unit]!) / FACTOR;
  if (!Number.isInteger(ms)) throw new Error(`${amount}${unit} / ${FACTOR} is not a whole number of milliseconds`);
  return `${ms}ms`;
}

const CONSTANTS: [string, string][] = [
  ["vector(7200)", `vector(${7200 / FACTOR})`],
  ["> 1800", `> ${1800 / FACTOR}`],
  [">= 1048576", ">= 102400"],
];

/** The repository's rules with time compressed FACTOR times (see the header). */
function shortenedRules(groups: RuleGroup[]): RuleGroup[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => {
      let expr = r.expr
        .replace(/\[(\d+)(ms|s|m|h|d)\]/g, (_, n: string, u: string) => `[${scaled(n, u)}]`)
        .replace(/offset (\d+)(ms|s|m|h|d)/g, (_, n: string, u: string) => `offset ${scaled(n, u)}`);
      for (const [from, to] of CONSTANTS) expr = expr.replaceAll(from, to);
      const fr = r.for === undefined ? undefined : /^(\d+)(ms|s|m|h|d)$/.exec(r.for);
      return { ...r, expr, ...(fr ? { for: scaled(fr[1]!, fr[2]!) } : {}) };
    }),
  }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
  value: string;
}

const prometheusBin = which("prometheus");
const GROWING = "LeakwatchHeapTypeGrowing";
const SUSPECTED = "LeakwatchHeapTypeLeakSuspected";
const LEAK = "LeakwatchLeakSuspected";

describe.skipIf(
  skipReason("Prometheus end-to-end", prometheusBin ? null : "prometheus not installed (Debian package prometheus; scripts/test.sh installs it)"),
)("leakwatch + Prometheus + the bundle's rules and dashboards", () => {
  let dir = "";
  let leakwatch: ResultPromise | undefined;
  let prometheus: ResultPromise | undefined;
  let promUrl = "";
  const logs: string[] = [];

  async function api<T>(p: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${promUrl}${p}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== "success") throw new Error(`${p} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lw-prom-e2e-"));
    const [lwPort, promPort] = [await freePort(), await freePort()];
    promUrl = `http://127.0.0.1:${promPort}`;
    const leaky = path.join(ROOT, "test/fixtures/targets/leaky.js");
    writeFileSync(
      path.join(dir, "leakwatch.yaml"),
      YAML.stringify({
        dataDir: path.join(dir, "leakwatch-data"),
        logLevel: "warn",
        targets: [
          // The type alerts on their own: no retention analysis (with it, they defer to the leak's alert).
          { name: "leaky", command: [process.execPath, leaky, "10"], retentionAnalysis: "never" },
          { name: "steady", command: [process.execPath, leaky, "0"] },
          // The same leak found with its owner: retention analysis of every dump's heap graph.
          { name: "owned", command: [process.execPath, leaky, "10"], retentionAnalysis: "always" },
        ],
      }),
    );
    const groups = YAML.parse(readFileSync(RULES_FILE, "utf8")).groups as RuleGroup[];
    writeFileSync(path.join(dir, "rules.yml"), YAML.stringify({ groups: shortenedRules(groups) }, { lineWidth: 0 }));
    writeFileSync(
      path.join(dir, "prometheus.yml"),
      YAML.stringify({
        global: { scrape_interval: "1s", scrape_timeout: "900ms", evaluation_interval: "1s" },
        rule_files: ["rules.yml"],
        scrape_configs: [
          { job_name: "leakwatch", static_configs: [{ targets: [`127.0.0.1:${lwPort}`] }] },
          { job_name: "prometheus", static_configs: [{ targets: [`127.0.0.1:${promPort}`] }] },
        ],
      }),
    );

    // The targets are leakwatch's children and inherit its stdin: leaky.js exits when stdin ends, so keep a pipe open.
    leakwatch = execa(
      process.execPath,
      [
        path.join(ROOT, "bin/leakwatch.js"),
        "--config",
        path.join(dir, "leakwatch.yaml"),
        "--dump-every",
        "2s",
        "--min-growth",
        "1k",
        "--listen",
        `127.0.0.1:${lwPort}`,
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe", reject: false, cleanup: true },
    );
    leakwatch.stderr?.on("data", (b: Buffer) => logs.push(`leakwatch: ${b}`));
    prometheus = execa(
      prometheusBin!,
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "prometheus-data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--storage.tsdb.retention.time=1h",
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe", reject: false, cleanup: true },
    );
    prometheus.stderr?.on("data", (b: Buffer) => {
      if (/level=(error|warn)/.test(String(b))) logs.push(`prometheus: ${b}`);
    });
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, 30_000, "Prometheus ready");
    await waitFor(async () => (await fetch(`http://127.0.0.1:${lwPort}/healthz`)).ok, 30_000, "leakwatch ready");
  }, 60_000);

  afterAll(async () => {
    for (const p of [prometheus, leakwatch]) {
      p?.kill("SIGTERM");
      const killer = setTimeout(() => p?.kill("SIGKILL"), 5000);
      await p?.catch(() => undefined);
      clearTimeout(killer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("fires the growth and verdict alerts for the leaking type only, and every rule evaluates cleanly", async () => {
    const started = Date.now();
    const seen = new Map<string, number>();
    const isWatched = (a: Alert) => a.labels.alertname === GROWING || a.labels.alertname === SUSPECTED || a.labels.alertname === LEAK;
    const innocent = (a: Alert) => a.labels.target === "steady" || ["StableThing", "StableOther"].includes(a.labels.heap_type ?? "");

    const firing = await waitFor(
      async () => {
        const { alerts } = await api<{ alerts: Alert[] }>("/api/v1/alerts");
        for (const a of alerts.filter(isWatched)) {
          const key = `${a.labels.alertname} ${a.labels.target} ${a.labels.heap_type} ${a.state}`;
          if (!seen.has(key)) seen.set(key, Math.round((Date.now() - started) / 1000));
          expect(innocent(a), `no ${a.labels.alertname} for ${a.labels.target}/${a.labels.heap_type}`).toBe(false);
        }
        const leaking = alerts.filter((a) => a.state === "firing" && a.labels.target === "leaky" && a.labels.heap_type === "LeakyThing");
        const names = new Set(leaking.map((a) => a.labels.alertname));
        const owned = alerts.some(
          (a) => a.state === "firing" && a.labels.alertname === LEAK && a.labels.target === "owned" && a.labels.heap_type === "LeakyThing",
        );
        return names.has(GROWING) && names.has(SUSPECTED) && owned ? leaking : undefined;
      },
      120_000,
      "LeakwatchHeapTypeGrowing and LeakwatchHeapTypeLeakSuspected firing for leaky/LeakyThing, LeakwatchLeakSuspected for owned/LeakyThing",
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nalerts seen (s after start): ${JSON.stringify([...seen])}\n${logs.join("").slice(-3000)}`);
    });
    console.log(`alerts seen (seconds after start): ${JSON.stringify(Object.fromEntries(seen))}`);

    const growing = firing.find((a) => a.labels.alertname === GROWING)!;
    expect(Number(growing.value), "$value is the slope in bytes per second").toBeGreaterThan(1000);
    expect(growing.annotations.description).toMatch(/^Heap type LeakyThing of target leaky \(127\.0\.0\.1:\d+\) grew at [\d.]+kiB\/s/);
    expect(growing.annotations.runbook_url).toBe(`${RUNBOOK_URL}#leakwatchheaptypegrowing`);
    const suspected = firing.find((a) => a.labels.alertname === SUSPECTED)!;
    expect(Number(suspected.value)).toBeGreaterThan(1000);
    expect(suspected.labels.severity).toBe("warning");

    // The steady program had as long, and a few more evaluations, to misbehave.
    await sleep(3000);
    const { alerts } = await api<{ alerts: Alert[] }>("/api/v1/alerts");
    expect(alerts.filter(isWatched).filter(innocent)).toEqual([]);

    const { groups } = await api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>("/api/v1/rules");
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBe(YAML.parse(readFileSync(RULES_FILE, "utf8")).groups.flatMap((g: RuleGroup) => g.rules).length);
    for (const r of rules) expect({ rule: r.name, health: r.health, error: r.lastError ?? "" }).toEqual({ rule: r.name, health: "ok", error: "" });
  }, 150_000);

  it.each(dashboardFiles())(
    "every query of %s runs against the live data",
    async (file) => {
      const d = readDashboard(file);
      const values = {
        ...customVariableValues(d),
        target: "leaky|steady|owned",
        heap_type: "LeakyThing",
        __rate_interval: "4s",
        __interval: "1s",
        __range: "1m",
      };
      const end = Date.now() / 1000;
      const empty: string[] = [];
      for (const q of dashboardQueries(d)) {
        const expr = interpolate(q.expr, values);
        const instant = await api<{ result: unknown[] }>("/api/v1/query", { query: expr, time: String(end) }).catch((err: Error) => {
          throw new Error(`${q.where}: ${expr}: ${err.message}`);
        });
        if (!q.instant) {
          await api("/api/v1/query_range", { query: expr, start: String(end - 30), end: String(end), step: "1" }).catch((err: Error) => {
            throw new Error(`${q.where}: ${expr}: ${err.message}`);
          });
        }
        if (instant.result.length === 0) empty.push(q.where);
      }
      // Launched targets without a memory limit, no load and no restarts: those panels are legitimately empty
      // (the Suspects table's E is retained bytes per request, which needs load).
      const mayBeEmpty = /limit|memory\.high|Headroom|OOM|events|pressure|Load|latency|Retained|Restarts|Suspects \/ E$/i;
      expect(
        empty.filter((w) => !mayBeEmpty.test(w)),
        "queries with no data",
      ).toEqual([]);
    },
    60_000,
  );
});
