// leakwatch's Grafana dashboards as code (@grafana/grafana-foundation-sdk). `npm run dashboards` writes them to
// grafana/dashboards/*.json (classic dashboard JSON with a stable uid); test/bundle/dashboards.test.ts fails when
// the committed JSON is not what this file builds, and checks every query against PromQL's grammar and
// leakwatch's metric catalog.
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";

/** The datasource provisioned by grafana/provisioning/datasources/prometheus.yml. */
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "leakwatch-prometheus" };

// Queries ------------------------------------------------------------------------------------------------------

function query(expr: string, legend = "", refId = "A"): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legend || "__auto")
    .refId(refId);
}

/** An instant query as a table row per series (for tables and bar gauges). */
function instantTable(expr: string, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).instant().format(prometheus.PromQueryFormat.Table).refId(refId);
}

const T = 'target=~"$target"';

// Panels -------------------------------------------------------------------------------------------------------

function thresholds(steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

function series(title: string, unit: string, description: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

function single(title: string, unit: string, description: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

/** A dashed red line: limits drawn over usage. */
const limitStyle = (): dashboard.DynamicConfigValue[] => [
  { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
  { id: "color", value: { mode: "fixed", fixedColor: "red" } },
  { id: "custom.fillOpacity", value: 0 },
];

// Variables and annotations --------------------------------------------------------------------------------------

function targetVariable(): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder("target")
    .label("Target")
    .datasource(DATASOURCE)
    .query("label_values(leakwatch_target_up, target)")
    .definition("label_values(leakwatch_target_up, target)")
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ text: "All", value: "$__all", selected: true });
}

/** Target restarts and OOM kills, on every time series panel. */
function annotations(): dashboard.AnnotationQueryBuilder[] {
  return [
    new dashboard.AnnotationQueryBuilder()
      .name("Restarts")
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor("orange")
      .expr(`increase(leakwatch_target_restarts_total{${T}}[2m]) > 0`)
      .step("60s")
      .titleFormat("{{target}} restarted")
      .tagKeys("target"),
    new dashboard.AnnotationQueryBuilder()
      .name("OOM kills")
      .datasource(DATASOURCE)
      .enable(true)
      .iconColor("red")
      .expr(`increase(leakwatch_cgroup_memory_events_total{event="oom_kill",${T}}[2m]) > 0`)
      .step("60s")
      .titleFormat("OOM kill: {{target}}")
      .tagKeys("target"),
  ];
}

function base(title: string, uid: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["leakwatch"])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: "now-3h", to: "now" })
    .refresh("30s")
    .timezone("browser")
    .link(
      new dashboard.DashboardLinkBuilder("leakwatch dashboards")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(["leakwatch"])
        .asDropdown(false)
        .includeVars(true)
        .keepTime(true),
    )
    .annotations(annotations());
}

// leakwatch / Soak overview ---------------------------------------------------------------------------------------

export function soakOverview(): dashboard.Dashboard {
  return base(
    "leakwatch / Soak overview",
    "leakwatch-soak-overview",
    "A soak test at a glance: the target's memory against its effective cgroup limit, the time left before the OOM killer, load, retained bytes per request, cgroup memory events and heap dump health.",
  )
    .withVariable(targetVariable())
    .withRow(new dashboard.RowBuilder("Memory"))
    .withPanel(
      series(
        "Memory vs effective limit",
        "bytes",
        "Working set (usage minus inactive file cache), RSS and the heap total of the latest dump, against the effective limit (the lowest over the cgroup and its ancestors) and memory.high.",
      )
        .withTarget(query(`leakwatch_cgroup_memory_working_set_bytes{${T}}`, "{{target}} working set", "A"))
        .withTarget(query(`leakwatch_target_resident_memory_bytes{${T}}`, "{{target}} RSS", "B"))
        .withTarget(query(`leakwatch_heap_bytes{${T}}`, "{{target}} heap (latest dump)", "C"))
        .withTarget(query(`leakwatch_cgroup_memory_limit_bytes{${T}}`, "{{target}} limit", "D"))
        .withTarget(query(`leakwatch_cgroup_memory_high_bytes{${T}}`, "{{target}} memory.high", "E"))
        .overrideByRegexp(".* limit$", limitStyle())
        .overrideByRegexp(".* memory\\.high$", [
          { id: "custom.lineStyle", value: { fill: "dash", dash: [4, 4] } },
          { id: "custom.fillOpacity", value: 0 },
        ])
        .min(0)
        .height(9)
        .span(16),
    )
    .withPanel(
      single("Headroom", "bytes", "The lowest (limit - usage) over the limited levels of the target's cgroup and its ancestors. Empty: no memory limit.")
        .withTarget(query(`leakwatch_cgroup_memory_headroom_bytes{${T}}`, "{{target}}"))
        .thresholds(
          thresholds([
            [null, "red"],
            [64 * 1024 * 1024, "orange"],
            [256 * 1024 * 1024, "green"],
          ]),
        )
        .height(9)
        .span(4),
    )
    .withPanel(
      single(
        "Predicted time to OOM",
        "s",
        "When the linear trend of the working set over the last 30 minutes reaches the effective limit (as the LeakwatchOomPredicted alert computes it). Empty: not growing, or no limit.",
      )
        .withTarget(
          query(
            `(leakwatch_cgroup_memory_limit_bytes{${T}} - predict_linear(leakwatch_cgroup_memory_working_set_bytes{${T}}[30m], 0)) / (deriv(leakwatch_cgroup_memory_working_set_bytes{${T}}[30m]) > 0)`,
            "{{target}}",
          ),
        )
        .noValue("not growing")
        .thresholds(
          thresholds([
            [null, "red"],
            [7200, "orange"],
            [6 * 3600, "green"],
          ]),
        )
        .height(9)
        .span(4),
    )
    .withRow(new dashboard.RowBuilder("Load"))
    .withPanel(
      series(
        "Load rate",
        "reqps",
        "Load requests per second by outcome (leakwatch's hammer, plus load counted elsewhere as ok), the configured rate cap, and requests in flight.",
      )
        .withTarget(query(`sum by (target, outcome) (rate(leakwatch_load_requests_total{${T}}[$__rate_interval]))`, "{{target}} {{outcome}}", "A"))
        .withTarget(query(`leakwatch_load_target_rate{${T}}`, "{{target}} cap", "B"))
        .withTarget(query(`leakwatch_load_in_flight{${T}}`, "{{target}} in flight", "C"))
        .overrideByRegexp(".* cap$", limitStyle())
        .overrideByRegexp(".* in flight$", [
          { id: "unit", value: "short" },
          { id: "custom.axisPlacement", value: "right" },
        ])
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      series("Request latency", "s", "Load request duration quantiles from leakwatch's hammer (any outcome).")
        .withTarget(
          query(
            `histogram_quantile(0.5, sum by (target, le) (rate(leakwatch_load_request_duration_seconds_bucket{${T}}[$__rate_interval])))`,
            "{{target}} p50",
            "A",
          ),
        )
        .withTarget(
          query(
            `histogram_quantile(0.99, sum by (target, le) (rate(leakwatch_load_request_duration_seconds_bucket{${T}}[$__rate_interval])))`,
            "{{target}} p99",
            "B",
          ),
        )
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      series(
        "Retained bytes per request",
        "bytes",
        "Per heap type: the Theil-Sen slope of its bytes against cumulative load requests over the verdict window - what each request leaves behind. Top 10 types.",
      )
        .withTarget(query(`topk(10, leakwatch_heap_type_retained_bytes_per_request{${T}})`, "{{target}} {{heap_type}}"))
        .height(8)
        .span(8),
    )
    .withRow(new dashboard.RowBuilder("cgroup"))
    .withPanel(
      series(
        "cgroup memory events",
        "short",
        "memory.events per interval: oom_kill (the OOM killer), oom, max (usage hit the hard limit), high (over memory.high: throttled); v1: failcnt.",
      )
        .withTarget(query(`sum by (target, event) (increase(leakwatch_cgroup_memory_events_total{${T}}[$__rate_interval]))`, "{{target}} {{event}}"))
        .drawStyle(common.GraphDrawStyle.Bars)
        .overrideByRegexp(".* oom_kill$", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }])
        .min(0)
        .height(8)
        .span(12),
    )
    .withPanel(
      series(
        "Memory pressure (PSI)",
        "percentunit",
        "Share of time tasks of the cgroup were stalled on memory (cgroup v2 PSI): some = at least one task, full = all.",
      )
        .withTarget(query(`rate(leakwatch_cgroup_memory_pressure_seconds_total{${T}}[$__rate_interval])`, "{{target}} {{kind}}"))
        .min(0)
        .height(8)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder("Heap dumps and target"))
    .withPanel(
      series("Heap dumps", "short", "Heap dumps per interval by result and reason (failure reasons: docs/runbook.md#leakwatchheapdumpsfailing).")
        .withTarget(query(`sum by (target, result, reason) (increase(leakwatch_heap_dumps_total{${T}}[$__rate_interval]))`, "{{target}} {{result}} {{reason}}"))
        .drawStyle(common.GraphDrawStyle.Bars)
        .overrideByRegexp(".* failure.*", [{ id: "color", value: { mode: "fixed", fixedColor: "red" } }])
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      single("Last successful dump", "s", "Age of the last successful heap dump (LeakwatchHeapDumpStale fires past 30 minutes).")
        .withTarget(query(`time() - leakwatch_heap_dump_last_success_timestamp_seconds{${T}}`, "{{target}}"))
        .thresholds(
          thresholds([
            [null, "green"],
            [900, "orange"],
            [1800, "red"],
          ]),
        )
        .noValue("never")
        .height(8)
        .span(4),
    )
    .withPanel(
      series("Dump duration", "s", "How long the last heap dump took, successful or not (a V8 or JVM dump pauses the target).")
        .withTarget(query(`leakwatch_heap_dump_duration_seconds{${T}}`, "{{target}} {{kind}}"))
        .min(0)
        .height(8)
        .span(4),
    )
    .withPanel(
      single("Target up", "none", "1 while the target's process runs. Restarts: leakwatch_target_restarts_total.")
        .withTarget(query(`leakwatch_target_up{${T}}`, "{{target}}"))
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: { "0": { text: "down", color: "red", index: 0 }, "1": { text: "up", color: "green", index: 1 } },
          },
        ])
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(4)
        .span(4),
    )
    .withPanel(
      single("Suspected leaking types", "short", "Heap types leakwatch's verdict currently calls leaking (details: leakwatch / Heap types).")
        .withTarget(query(`sum by (target) (leakwatch_heap_type_leak_suspect{${T}})`, "{{target}}"))
        .thresholds(
          thresholds([
            [null, "green"],
            [1, "red"],
          ]),
        )
        .graphMode(common.BigValueGraphMode.None)
        .height(4)
        .span(4),
    )
    .build();
}

// leakwatch / Heap types ----------------------------------------------------------------------------------------

export function heapTypes(): dashboard.Dashboard {
  const H = 'heap_type="$heap_type"';
  const suspect = `(leakwatch_heap_type_leak_suspect{${T}} == 1)`;
  return base(
    "leakwatch / Heap types",
    "leakwatch-heap-types",
    "Per-type heap statistics from leakwatch's scheduled heap dumps: the largest types, their growth, the types leakwatch suspects of leaking, and one type's history.",
  )
    .withVariable(targetVariable())
    .withVariable(
      new dashboard.QueryVariableBuilder("heap_type")
        .label("Heap type")
        .datasource(DATASOURCE)
        .query(`label_values(leakwatch_heap_type_bytes{${T}}, heap_type)`)
        .definition(`label_values(leakwatch_heap_type_bytes{${T}}, heap_type)`)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc)
        .multi(false)
        .includeAll(false),
    )
    .withVariable(new dashboard.CustomVariableBuilder("top").label("Top").values("10,20,50").current({ text: "10", value: "10", selected: true }))
    .withRow(new dashboard.RowBuilder("Leaks"))
    .withPanel(
      new table.PanelBuilder()
        .title("Leaks by owner")
        .description(
          "One row per leak: the type whose instances hold the growing memory (its members, the other growing types, are inside it), what it retains, how fast that grows, and the path of types from a GC root (edge names: GET /api/v1/targets/TARGET/leaks).",
        )
        .datasource(DATASOURCE)
        .withTarget(instantTable(`leakwatch_leak_retained_bytes{${T}}`, "A"))
        .withTarget(instantTable(`leakwatch_leak_growth_bytes_per_second{${T}}`, "B"))
        .withTarget(instantTable(`leakwatch_leak_info{${T}}`, "C"))
        .withTransformation({ id: "merge", options: {} })
        .withTransformation({
          id: "organize",
          options: {
            excludeByName: { Time: true, __name__: true, job: true, instance: true, "Value #C": true },
            indexByName: { target: 0, heap_type: 1, "Value #A": 2, "Value #B": 3, accumulation_point: 4, path: 5 },
            renameByName: {
              heap_type: "leak (owner type)",
              "Value #A": "retained",
              "Value #B": "growth (B/s)",
              accumulation_point: "accumulates in",
              path: "path from a GC root",
            },
          },
        })
        .overrideByName("retained", [{ id: "unit", value: "bytes" }])
        .overrideByName("growth (B/s)", [{ id: "unit", value: "Bps" }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName("retained").desc(true)])
        .noValue("no leaks found")
        .height(7)
        .span(16),
    )
    .withPanel(
      series("Retention analysis", "s", "How long the latest retention analysis of a heap graph took, and analyses that failed in the last hour (right).")
        .withTarget(query(`leakwatch_retention_analysis_duration_seconds{${T}}`, "{{target}} duration", "A"))
        .withTarget(query(`increase(leakwatch_retention_analyses_total{${T},result="failure"}[1h])`, "{{target}} failures", "B"))
        .overrideByRegexp(".* failures$", [
          { id: "unit", value: "short" },
          { id: "custom.axisPlacement", value: "right" },
        ])
        .min(0)
        .height(7)
        .span(8),
    )
    .withPanel(
      series("Retained bytes by leak", "bytes", "What each leak's owner type keeps alive, members included, at each retention analysis.")
        .withTarget(query(`leakwatch_leak_retained_bytes{${T}}`, "{{target}} {{heap_type}}"))
        .min(0)
        .height(8)
        .span(24),
    )
    .withRow(new dashboard.RowBuilder("Types"))
    .withPanel(
      new table.PanelBuilder()
        .title("Suspects")
        .description(
          "Types leakwatch's verdict calls leaking (Mann-Kendall trend plus growth floors over the verdict window), with their size, Theil-Sen growth, increase streak and retained bytes per request.",
        )
        .datasource(DATASOURCE)
        .withTarget(instantTable(`leakwatch_heap_type_bytes{${T}} and on (job, instance, target, heap_type) ${suspect}`, "A"))
        .withTarget(instantTable(`leakwatch_heap_type_objects{${T}} and on (job, instance, target, heap_type) ${suspect}`, "B"))
        .withTarget(instantTable(`leakwatch_heap_type_growth_bytes_per_second{${T}} and on (job, instance, target, heap_type) ${suspect}`, "C"))
        .withTarget(instantTable(`leakwatch_heap_type_increase_streak{${T}} and on (job, instance, target, heap_type) ${suspect}`, "D"))
        .withTarget(instantTable(`leakwatch_heap_type_retained_bytes_per_request{${T}} and on (job, instance, target, heap_type) ${suspect}`, "E"))
        .withTransformation({ id: "merge", options: {} })
        .withTransformation({
          id: "organize",
          options: {
            excludeByName: { Time: true, __name__: true, job: true, instance: true },
            indexByName: { target: 0, heap_type: 1, "Value #A": 2, "Value #B": 3, "Value #C": 4, "Value #D": 5, "Value #E": 6 },
            renameByName: {
              heap_type: "type",
              "Value #A": "bytes",
              "Value #B": "objects",
              "Value #C": "growth (B/s)",
              "Value #D": "increase streak (dumps)",
              "Value #E": "retained bytes/request",
            },
          },
        })
        .overrideByName("bytes", [{ id: "unit", value: "bytes" }])
        .overrideByName("growth (B/s)", [{ id: "unit", value: "Bps" }])
        .overrideByName("retained bytes/request", [{ id: "unit", value: "bytes" }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName("growth (B/s)").desc(true)])
        .noValue("no suspects")
        .height(8)
        .span(24),
    )
    .withPanel(
      series(
        "Top types by bytes",
        "bytes",
        'The $top largest types in the latest dump of each scrape (shallow sizes; "(other)" sums the types beyond --max-types).',
      )
        .withTarget(query(`topk($top, leakwatch_heap_type_bytes{${T}})`, "{{target}} {{heap_type}}"))
        .min(0)
        .height(10)
        .span(12),
    )
    .withPanel(
      series("Growth slopes", "Bps", "leakwatch's Theil-Sen slope of each type's bytes over the verdict window; the $top fastest growing.")
        .withTarget(query(`topk($top, leakwatch_heap_type_growth_bytes_per_second{${T}})`, "{{target}} {{heap_type}}"))
        .height(10)
        .span(12),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .title("Growth over the last hour (deriv)")
        .description("Prometheus' own least-squares slope of each type's bytes over the last hour (as LeakwatchHeapTypeGrowing computes it); the $top largest.")
        .datasource(DATASOURCE)
        .withTarget(query(`topk($top, deriv(leakwatch_heap_type_bytes{${T},heap_type!="(other)"}[1h]))`, "{{target}} {{heap_type}}").instant())
        .unit("Bps")
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
        .height(10)
        .span(12),
    )
    .withPanel(
      series(
        "Objects of the top types",
        "short",
        "Object counts of the $top largest types by count. Objects growing with bytes: a collection keeps entries; bytes growing alone: objects grow.",
      )
        .withTarget(query(`topk($top, leakwatch_heap_type_objects{${T}})`, "{{target}} {{heap_type}}"))
        .min(0)
        .height(10)
        .span(12),
    )
    .withPanel(
      series(
        "Exported types by verdict state",
        "short",
        "How many of the exported heap types are stable, rising (young, not proven), leaking (the suspects) or settling (stopped rising after leaking).",
      )
        .withTarget(query(`sum by (target, state) (leakwatch_heap_type_verdict{${T}})`, "{{target}} {{state}}"))
        .min(0)
        .height(8)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder("History of $heap_type"))
    .withPanel(
      series(
        "$heap_type: bytes and objects",
        "bytes",
        "The chosen type's own bytes and the bytes its instances keep alive (retained, from retention analyses) on the left, objects on the right.",
      )
        .withTarget(query(`leakwatch_heap_type_bytes{${T},${H}}`, "{{target}} bytes", "A"))
        .withTarget(query(`leakwatch_heap_type_objects{${T},${H}}`, "{{target}} objects", "B"))
        .withTarget(query(`leakwatch_heap_type_retained_bytes{${T},${H}}`, "{{target}} retained", "C"))
        .overrideByRegexp(".* objects$", [
          { id: "unit", value: "short" },
          { id: "custom.axisPlacement", value: "right" },
        ])
        .min(0)
        .height(9)
        .span(12),
    )
    .withPanel(
      series("$heap_type: verdict", "short", "Increase streak (consecutive dumps without a decrease) and the verdict (1 = suspect).")
        .withTarget(query(`leakwatch_heap_type_increase_streak{${T},${H}}`, "{{target}} increase streak", "A"))
        .withTarget(query(`leakwatch_heap_type_leak_suspect{${T},${H}}`, "{{target}} suspect", "B"))
        .withTarget(query(`leakwatch_heap_type_growth_bytes_per_second{${T},${H}}`, "{{target}} growth", "C"))
        .overrideByRegexp(".* growth$", [
          { id: "unit", value: "Bps" },
          { id: "custom.axisPlacement", value: "right" },
        ])
        .overrideByRegexp(".* suspect$", [
          { id: "custom.drawStyle", value: "bars" },
          { id: "color", value: { mode: "fixed", fixedColor: "red" } },
        ])
        .height(9)
        .span(12),
    )
    .withRow(new dashboard.RowBuilder("Totals"))
    .withPanel(
      series("Heap total", "bytes", "Bytes and objects in the latest dump (0 bytes-exact means per-type bytes are estimates, e.g. dotnet-gcdump).")
        .withTarget(query(`leakwatch_heap_bytes{${T}}`, "{{target}} bytes", "A"))
        .withTarget(query(`leakwatch_heap_objects{${T}}`, "{{target}} objects", "B"))
        .overrideByRegexp(".* objects$", [
          { id: "unit", value: "short" },
          { id: "custom.axisPlacement", value: "right" },
        ])
        .min(0)
        .height(8)
        .span(24),
    )
    .build();
}

/** Stable panel ids in layout order (Grafana would otherwise assign them on load, differently each time). */
function numbered(d: dashboard.Dashboard): dashboard.Dashboard {
  (d.panels ?? []).forEach((p, i) => {
    p.id = i + 1;
  });
  return d;
}

/** Every dashboard, by the file it is written to under grafana/dashboards/. */
export const DASHBOARDS: Record<string, () => dashboard.Dashboard> = {
  "soak-overview.json": () => numbered(soakOverview()),
  "heap-types.json": () => numbered(heapTypes()),
};

/** The committed form: 2-space JSON with a final newline. */
export function render(d: dashboard.Dashboard): string {
  return JSON.stringify(d, null, 2) + "\n";
}
