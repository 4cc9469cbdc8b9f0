// The live UI in the browser. Reads the read-only JSON API every few seconds and renders: target header, memory vs
// limit (uPlot), headroom, load rate, dump timeline, heap types with sparklines (suspects first) and a diff view.
// Type names come from the target's heap and are untrusted: everything is set with textContent / DOM APIs, never
// innerHTML. Only type imports from the server code (erased at compile time).
import type uPlotT from "uplot";
import type { DiffRow } from "../../analysis/diff.js";
import type { TypeVerdict } from "../../analysis/verdict.js";
import type { MemorySample } from "../../sampling/series.js";
import type { OutcomeRecord } from "../history.js";
import type { TypeHistoryRow } from "../api.js";
import type { LeakView as Leak } from "../../heap/retention.js";

declare global {
  interface Window {
    uPlot: typeof uPlotT;
  }
}

interface DumpHeader {
  id: string;
  target: string;
  time: number;
  source: string;
  durationSeconds: number;
  totalObjects: number;
  totalBytes: number;
  bytesExact: boolean;
  typeCount: number;
  requests?: number;
}

interface TargetInfo {
  name: string;
  kind: string;
  up: boolean;
  pid: number | null;
  command: string;
  runtime: string;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; status: number; at: number } | null;
  heapSource: string | null;
  dumps: number;
  lastDump: DumpHeader | null;
  lastOutcome: { result: string; reason?: string; message?: string } | null;
  suspects: string[];
}

interface LoadStatus {
  known?: boolean;
  running?: boolean;
  cumulativeRequests?: number | null;
  pausedBecause?: string | null;
  kind?: string | null;
}

const REFRESH_MS = 3000;
const WINDOW = 12;
const DIFF_GROWERS = 20;
const DIFF_SHRINKERS = 5;

// ---------- DOM helpers (text only) ----------

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

type Child = Node | string | number | null | undefined | false;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; title?: string } = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.title) e.title = props.title;
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(typeof c === "number" ? String(c) : c);
  return e;
}

const SVG = "http://www.w3.org/2000/svg";
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

// ---------- formatting ----------

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const sign = n < 0 ? "−" : "";
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${sign}${i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[i]}`;
}
const fmtSigned = (n: number) => (n > 0 ? "+" : "") + fmtBytes(n);
const fmtInt = (n: number | null | undefined) => (n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US"));
const fmtSignedInt = (n: number) => (n > 0 ? "+" : n < 0 ? "−" : "") + Math.abs(Math.round(n)).toLocaleString("en-US");
const pad = (n: number) => String(n).padStart(2, "0");
function fmtTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function fmtDateTime(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  const day = d.toDateString() === today.toDateString() ? "" : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `;
  return day + fmtTime(ms);
}
function fmtRate(perSecond: number): string {
  if (perSecond >= 100) return `${perSecond.toFixed(0)} req/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)} req/s`;
  return `${perSecond.toFixed(2)} req/s`;
}

// ---------- API ----------

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { headers: { accept: "application/json" } });
  if (!r.ok) {
    let msg = `${r.status}`;
    try {
      msg = ((await r.json()) as { error?: string }).error ?? msg;
    } catch {
      // not JSON
    }
    throw new HttpError(r.status, `${url}: ${msg}`);
  }
  return (await r.json()) as T;
}

const api = (t: string, rest = "") => `api/v1/targets/${encodeURIComponent(t)}${rest}`;

// ---------- state ----------

const state = {
  target: null as string | null,
  samples: [] as MemorySample[],
  dumps: [] as DumpHeader[],
  outcomes: [] as OutcomeRecord[],
  types: [] as TypeHistoryRow[],
  /** Diff selection: null = automatic (first dump of the window → latest). */
  diffFrom: null as string | null,
  diffTo: null as string | null,
  diffKey: "",
  chart: null as uPlotT | null,
  timer: 0 as unknown as ReturnType<typeof setTimeout>,
  generation: 0,
};

function resetTarget(name: string | null): void {
  state.target = name;
  state.samples = [];
  state.dumps = [];
  state.outcomes = [];
  state.types = [];
  state.diffFrom = state.diffTo = null;
  state.diffKey = "";
  state.generation++;
  state.chart?.destroy();
  state.chart = null;
  byId("mem-chart").replaceChildren();
  byId("timeline").replaceChildren();
  byId("types").querySelector("tbody")!.replaceChildren();
  byId("diff").querySelector("tbody")!.replaceChildren();
  if (name) history.replaceState(null, "", `#${encodeURIComponent(name)}`);
}

// ---------- target selector and header ----------

function renderTargets(targets: TargetInfo[]): void {
  const sel = byId<HTMLSelectElement>("target");
  const names = targets.map((t) => t.name);
  const have = [...sel.options].map((o) => o.value);
  if (names.join("\0") !== have.join("\0")) {
    sel.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  if (state.target === null || !names.includes(state.target)) {
    const fromHash = decodeURIComponent(location.hash.slice(1));
    resetTarget(names.includes(fromHash) ? fromHash : (names[0] ?? null));
  }
  if (state.target !== null) sel.value = state.target;
}

function renderInfo(t: TargetInfo): void {
  const kv = (k: string, v: Child) => el("span", { class: "kv" }, `${k} `, el("b", {}, v));
  const parts: Node[] = [
    el("span", { class: "name" }, t.name),
    el("span", { class: `badge ${t.up ? "up" : "down"}` }, t.up ? "up" : "down"),
    kv("pid", t.pid ?? "—"),
    kv("runtime", t.runtime),
    kv("restarts", t.restarts),
    kv("heap source", t.heapSource ?? "none"),
    kv("dumps", t.dumps),
  ];
  if (t.lastExit) parts.push(kv("last exit", `${t.lastExit.signal ?? t.lastExit.code} (status ${t.lastExit.status}) at ${fmtTime(t.lastExit.at)}`));
  if (t.lastOutcome && t.lastOutcome.result !== "success")
    parts.push(el("span", { class: "badge warn", title: t.lastOutcome.message ?? "" }, `last dump ${t.lastOutcome.result}: ${t.lastOutcome.reason ?? "?"}`));
  const cmd = el("span", { class: "kv", title: t.command }, "command ", el("b", {}, t.command.length > 80 ? `${t.command.slice(0, 77)}…` : t.command));
  parts.push(cmd);
  byId("target-info").replaceChildren(...parts);
  const n = t.suspects.length;
  setText("card-suspects", String(n));
  setText("card-suspects-sub", n ? t.suspects.slice(0, 3).join(", ") + (n > 3 ? ` +${n - 3}` : "") : t.dumps ? "none so far" : "no dumps yet");
}

// ---------- memory cards and chart ----------

function renderMemoryCards(): void {
  const last = state.samples.at(-1);
  setText("card-rss", fmtBytes(last?.rss));
  setText("card-rss-sub", last?.workingSet !== null && last?.workingSet !== undefined ? `RSS · cgroup working set ${fmtBytes(last.workingSet)}` : "RSS");
  setText("card-limit", last?.limit ? fmtBytes(last.limit) : "none");
  setText("card-limit-sub", last?.limit ? "effective cgroup limit" : "no memory limit on the cgroup");
  const box = byId("card-headroom-box");
  if (last?.limit && last.headroom !== null) {
    setText("card-headroom", fmtBytes(last.headroom));
    const frac = last.headroom / last.limit;
    setText("card-headroom-sub", `${(frac * 100).toFixed(1)}% of the limit free`);
    box.classList.toggle("low", frac < 0.1);
  } else {
    setText("card-headroom", "—");
    setText("card-headroom-sub", "unlimited");
    box.classList.remove("low");
  }
}

/** Binary steps for the byte axis (64 MiB, 128 MiB, … rather than 95.4 MiB). */
const BYTE_INCRS: number[] = [];
for (let unit = 1; unit <= 1024 ** 4; unit *= 1024) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) BYTE_INCRS.push(m * unit);

function chartData(): uPlotT.AlignedData {
  const s = state.samples;
  return [s.map((x) => x.time / 1000), s.map((x) => x.rss), s.map((x) => x.workingSet), s.map((x) => x.limit)];
}

/** The x range: the samples, widened to the dumps of the verdict window (dumps may predate this leakwatch run). */
function xRange(): [number, number] {
  const times = [...state.samples.map((s) => s.time), ...state.dumps.slice(-WINDOW).map((d) => d.time), ...state.outcomes.map((o) => o.time)];
  if (!times.length) {
    const now = Date.now() / 1000;
    return [now - 60, now];
  }
  const lo = Math.min(...times) / 1000;
  let hi = Math.max(...times, Date.now()) / 1000;
  if (hi - lo < 60) hi = lo + 60; // a young run fills the chart from the left
  const padS = (hi - lo) * 0.01;
  return [lo - padS, hi + padS];
}

function renderChart(): void {
  const box = byId("mem-chart");
  if (!window.uPlot) return;
  const width = Math.max(300, box.clientWidth);
  if (!state.chart) {
    const UPlot = window.uPlot;
    const opts: uPlotT.Options = {
      width,
      height: 260,
      scales: { x: { time: true, range: () => xRange() }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 1) * 1.1] } },
      series: [
        {},
        { label: "RSS", stroke: "#3867d6", width: 2, value: (_u, v) => fmtBytes(v) },
        { label: "cgroup working set", stroke: "#2e9d57", width: 1.5, value: (_u, v) => fmtBytes(v) },
        { label: "limit", stroke: "#d6453d", width: 2, dash: [6, 4], points: { show: false }, value: (_u, v) => fmtBytes(v) },
      ],
      axes: [{}, { size: 70, incrs: BYTE_INCRS, values: (_u, vals) => vals.map((v) => fmtBytes(v)) }],
      hooks: { draw: [(u) => renderTimeline(u)] },
    };
    state.chart = new UPlot(opts, chartData(), box);
  } else {
    if (Math.abs(state.chart.width - width) > 2) state.chart.setSize({ width, height: 260 });
    state.chart.setData(chartData());
  }
  renderTimeline();
}

/** Dump markers on a strip aligned with the chart's plotting area. */
function renderTimeline(u: uPlotT | null = state.chart): void {
  const line = byId("timeline") as unknown as SVGSVGElement;
  if (!u) return;
  const dpr = window.devicePixelRatio || 1;
  const left = u.bbox.left / dpr;
  const w = u.bbox.width / dpr;
  const y = 13;
  const kids: SVGElement[] = [svg("line", { class: "axis", x1: left, x2: left + w, y1: y, y2: y })];
  const xOf = (ms: number) => left + u.valToPos(ms / 1000, "x");
  const within = (x: number) => x >= left - 1 && x <= left + w + 1;
  const titled = <E extends SVGElement>(e: E, text: string): E => {
    const t = svg("title");
    t.textContent = text;
    e.append(t);
    return e;
  };
  for (const d of state.dumps) {
    const x = xOf(d.time);
    if (!within(x)) continue;
    const c = titled(
      svg("circle", { class: "m-ok", cx: x, cy: y, r: 5, "data-id": d.id }),
      `dump ${d.id} at ${fmtDateTime(d.time)} · ${fmtBytes(d.totalBytes)} in ${d.typeCount} types · click: diff to here, shift-click: diff from here`,
    );
    c.addEventListener("click", (ev) => {
      if (ev.shiftKey) state.diffFrom = d.id;
      else {
        state.diffTo = d.id;
        state.diffFrom ??= defaultFrom();
      }
      void loadDiff(true);
    });
    kids.push(c);
  }
  for (const o of state.outcomes) {
    if (o.result === "success") continue;
    const x = xOf(o.time);
    if (!within(x)) continue;
    const text = `dump ${o.result} at ${fmtDateTime(o.time)}: ${o.reason ?? ""}${o.message ? ` — ${o.message}` : ""}`;
    if (o.result === "failure") {
      const g = titled(svg("g", { class: "m-fail" }), text);
      g.append(svg("line", { x1: x - 4, x2: x + 4, y1: y - 4, y2: y + 4 }), svg("line", { x1: x - 4, x2: x + 4, y1: y + 4, y2: y - 4 }));
      kids.push(g);
    } else kids.push(titled(svg("circle", { class: "m-skip", cx: x, cy: y, r: 4.5 }), text));
  }
  line.replaceChildren(...kids);
}

// ---------- load ----------

function renderLoad(load: LoadStatus | null): void {
  const s = state.samples.filter((x) => x.requests !== null);
  let rate: number | null = null;
  let spark: number[] = [];
  if (s.length >= 2) {
    const last = s.at(-1)!;
    const from = [...s].reverse().find((x) => last.time - x.time >= 10_000) ?? s[0]!;
    if (last.time > from.time) rate = Math.max(0, (last.requests! - from.requests!) / ((last.time - from.time) / 1000));
    for (let i = 1; i < s.length; i++) {
      const dt = (s[i]!.time - s[i - 1]!.time) / 1000;
      spark.push(dt > 0 ? Math.max(0, (s[i]!.requests! - s[i - 1]!.requests!) / dt) : 0);
    }
    spark = spark.slice(-60);
  }
  const known = !!load?.known || s.length > 0;
  const sub = byId("card-load-sub");
  if (!known) {
    setText("card-load", "no load");
    sub.replaceChildren("no load configured or counted");
    return;
  }
  setText("card-load", rate === null ? "—" : fmtRate(rate));
  const desc = [
    load?.running ? "hammer running" : load?.kind ? "hammer stopped" : "counted elsewhere",
    load?.pausedBecause ? `paused: ${load.pausedBecause}` : "",
    load?.cumulativeRequests != null ? `${fmtInt(load.cumulativeRequests)} total` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  sub.replaceChildren(desc);
  if (spark.length >= 2) sub.append(sparkline(spark, 160, 22));
}

// ---------- heap types ----------

function sparkline(values: (number | null)[], w = 120, h = 24): SVGSVGElement {
  const s = svg("svg", { class: "spark", width: w, height: h, viewBox: `0 0 ${w} ${h}` });
  const nums = values.filter((v): v is number => v !== null);
  if (nums.length < 1) return s;
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  const span = hi - lo;
  const n = values.length;
  const pts: string[] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    const x = n === 1 ? w / 2 : 2 + (i * (w - 4)) / (n - 1);
    const y = span === 0 ? h / 2 : h - 2 - ((v - lo) / span) * (h - 4);
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  s.append(svg("polyline", { points: pts.join(" ") }));
  return s;
}

/** One card per leak, the owner first: what it retains (and its chart), how fast, per request, its path, its members. */
function renderLeaks(leaks: Leak[], t: TargetInfo): void {
  setText("leaks-hint", leaks.length ? "growing types grouped under the type that holds them" : "");
  if (!leaks.length) {
    const why = t.suspects.length ? "no retention analysis yet (it runs with the next dump)" : "none found: no type grows";
    byId("leaks").replaceChildren(el("span", { class: "empty" }, why));
    return;
  }
  const cards = leaks.map((l) => {
    const nums = el(
      "div",
      { class: "nums" },
      el("span", { class: "kv" }, "retains ", el("b", {}, fmtBytes(l.retainedBytes))),
      el("span", { class: "kv" }, "grows ", el("b", {}, `${fmtBytes(l.growthBytesPerSecond)}/s`)),
      el("span", { class: "kv" }, "per request ", el("b", {}, l.bytesPerRequest === null ? "—" : fmtBytes(l.bytesPerRequest))),
      el("span", { class: "kv" }, "instances ", el("b", {}, l.instances.toLocaleString("en-US"))),
    );
    const path = el("ol", { class: "path" }, ...l.path.map((p) => el("li", {}, `${p.edge} → ${p.type}`)));
    const members = el("div", { class: "members" }, l.members.length ? `members: ${l.members.map((m) => m.type).join(", ")}` : "no members");
    const where = l.accumulationPoint ? el("div", { class: "members" }, `accumulates in one ${l.accumulationPoint}`) : el("div", {});
    return el(
      "div",
      { class: "leak" },
      el("h3", {}, l.root),
      nums,
      sparkline(
        l.history.map((h) => h.retainedBytes),
        280,
        32,
      ),
      where,
      path,
      members,
      el("div", { class: "members" }, `first seen ${fmtDateTime(Date.parse(l.firstSeen))}`),
    );
  });
  byId("leaks").replaceChildren(...cards);
}

function renderTypes(): void {
  const tbody = byId("types").querySelector("tbody")!;
  const filter = byId<HTMLInputElement>("types-filter").value.trim().toLowerCase();
  const rows = state.types.filter((r) => !filter || r.type.toLowerCase().includes(filter));
  const latest = state.dumps.at(-1);
  setText(
    "types-hint",
    latest
      ? `latest dump ${fmtDateTime(latest.time)} · ${latest.typeCount} types · top by bytes and every suspect · trend over the last ${Math.min(WINDOW, state.dumps.length)} dumps`
      : "",
  );
  if (!rows.length) {
    tbody.replaceChildren(
      el("tr", {}, Object.assign(el("td", { class: "empty" }, state.dumps.length ? "no type matches" : "no heap dumps yet"), { colSpan: 8 })),
    );
    return;
  }
  tbody.replaceChildren(
    ...rows.map((r) => {
      const v: TypeVerdict | null = r.verdict;
      const suspect = !!v?.suspect;
      const tr = el(
        "tr",
        { class: suspect ? "suspect" : "" },
        el(
          "td",
          {},
          suspect
            ? el("span", { class: "badge leak", title: `leaking (proven by ${v?.suspectBy ?? "bytes"})` }, "LEAK")
            : v?.state === "rising" || v?.state === "settling"
              ? el(
                  "span",
                  { class: `badge ${v.state}`, title: v.state === "rising" ? "rising, not yet proven" : "settling: stopped rising after leaking" },
                  v.state.toUpperCase(),
                )
              : "",
        ),
        el("td", { class: "type" }, r.type),
        el("td", { class: "num" }, fmtBytes(r.bytes)),
        el("td", { class: "num" }, fmtInt(r.count)),
        el("td", { class: `num ${v && v.netGrowthBytes > 0 ? "pos" : ""}` }, v ? fmtSigned(v.netGrowthBytes) : "—"),
        el("td", { class: "num" }, v ? `${fmtSigned(v.bytesSlopePerSecond)}/s` : "—"),
        el("td", {}, sparkline(r.bytesSeries)),
        el("td", { class: "reason" }, v?.reason ?? ""),
      );
      tr.dataset.type = r.type;
      return tr;
    }),
  );
}

// ---------- diff ----------

function defaultFrom(): string | null {
  const d = state.dumps;
  return (d.at(-WINDOW) ?? d[0])?.id ?? null;
}

function renderDiffSelects(): void {
  const opts = () =>
    state.dumps.map((d, i) => new Option(`#${i + 1} · ${fmtDateTime(d.time)} · ${fmtBytes(d.totalBytes)} · ${d.typeCount} types`, d.id)).reverse();
  const from = byId<HTMLSelectElement>("diff-from");
  const to = byId<HTMLSelectElement>("diff-to");
  const key = state.dumps.map((d) => d.id).join(",");
  if (from.dataset.key !== key) {
    from.replaceChildren(...opts());
    to.replaceChildren(...opts());
    from.dataset.key = to.dataset.key = key;
  }
  from.value = state.diffFrom ?? defaultFrom() ?? "";
  to.value = state.diffTo ?? state.dumps.at(-1)?.id ?? "";
}

async function loadDiff(force = false): Promise<void> {
  const target = state.target;
  if (!target || state.dumps.length < 1) {
    byId("diff")
      .querySelector("tbody")!
      .replaceChildren(el("tr", {}, Object.assign(el("td", { class: "empty" }, "no heap dumps yet"), { colSpan: 7 })));
    setText("diff-summary", "");
    return;
  }
  const from = state.diffFrom ?? defaultFrom()!;
  const to = state.diffTo ?? state.dumps.at(-1)!.id;
  renderDiffSelects();
  const key = `${target}|${from}|${to}`;
  if (!force && key === state.diffKey) return;
  state.diffKey = key;
  const gen = state.generation;
  const res = await getJson<{ from: DumpHeader; to: DumpHeader; rows: DiffRow[] }>(
    api(target, `/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=10000`),
  );
  if (gen !== state.generation || key !== state.diffKey) return;
  const secs = (res.to.time - res.from.time) / 1000;
  // Ranked by byte growth: the biggest growers first, then (after the unchanged types, not shown) the biggest shrinkers.
  const ranked = res.rows.map((r, i) => ({ r, rank: i + 1 }));
  const growers = ranked.filter(({ r }) => r.deltaBytes > 0 || (r.deltaBytes === 0 && r.deltaCount > 0));
  const shrinkers = ranked.filter(({ r }) => r.deltaBytes < 0 || (r.deltaBytes === 0 && r.deltaCount < 0));
  const shown = [...growers.slice(0, DIFF_GROWERS), ...shrinkers.slice(-DIFF_SHRINKERS).reverse()];
  const hidden = res.rows.length - shown.length;
  setText(
    "diff-summary",
    `${fmtDateTime(res.from.time)} → ${fmtDateTime(res.to.time)} (${secs.toFixed(0)} s): total ${fmtSigned(res.to.totalBytes - res.from.totalBytes)} · ${growers.length} types grew, ${shrinkers.length} shrank${hidden ? ` · ${hidden} not shown (unchanged or smaller changes)` : ""}`,
  );
  const tbody = byId("diff").querySelector("tbody")!;
  if (!shown.length) {
    tbody.replaceChildren(el("tr", {}, Object.assign(el("td", { class: "empty" }, "no type changed between these dumps"), { colSpan: 7 })));
    return;
  }
  tbody.replaceChildren(
    ...shown.map(({ r, rank }) => {
      const tr = el(
        "tr",
        {},
        el("td", { class: "num" }, rank),
        el("td", { class: "type" }, r.type),
        el("td", { class: `num ${r.deltaBytes > 0 ? "pos" : r.deltaBytes < 0 ? "neg" : ""}` }, fmtSigned(r.deltaBytes)),
        el("td", { class: "num" }, `${fmtBytes(r.bytesA)} → ${fmtBytes(r.bytesB)}`),
        el("td", { class: "num" }, fmtSignedInt(r.deltaCount)),
        el("td", { class: "num" }, r.ratio === null ? "—" : `×${r.ratio.toFixed(2)}`),
        el("td", {}, r.status),
      );
      tr.dataset.type = r.type;
      return tr;
    }),
  );
}

// ---------- refresh loop ----------

function status(text: string, error = false): void {
  const s = byId("status-line");
  s.textContent = text;
  s.classList.toggle("error", error);
}

async function refresh(): Promise<void> {
  const targets = await getJson<TargetInfo[]>("api/v1/targets");
  renderTargets(targets);
  const t = targets.find((x) => x.name === state.target);
  if (!t) {
    byId("target-info").replaceChildren(el("span", { class: "empty" }, "no targets"));
    return;
  }
  const gen = state.generation;
  const since = state.samples.at(-1)?.time ?? 0;
  const [mem, load, dumps, types, outcomes, leaks] = await Promise.all([
    getJson<{ samples: MemorySample[]; keepSeconds: number }>(api(t.name, `/memory${since ? `?since=${since}` : ""}`)),
    getJson<LoadStatus>(api(t.name, "/load")).catch((err: unknown) => {
      if (err instanceof HttpError && err.status === 404) return null; // a daemon without the load API
      throw err;
    }),
    getJson<DumpHeader[]>(api(t.name, "/dumps")),
    getJson<{ types: TypeHistoryRow[] }>(api(t.name, `/types/history?limit=${WINDOW}&top=25`)),
    getJson<OutcomeRecord[]>(api(t.name, "/outcomes")),
    getJson<Leak[]>(api(t.name, "/leaks")).catch((err: unknown) => {
      if (err instanceof HttpError && err.status === 404) return []; // a daemon without retention
      throw err;
    }),
  ]);
  if (gen !== state.generation) return; // the target changed meanwhile
  const keepMs = mem.keepSeconds * 1000;
  state.samples = [...state.samples, ...mem.samples].filter((s, _i, all) => s.time >= all.at(-1)!.time - keepMs);
  state.dumps = dumps;
  state.outcomes = outcomes;
  state.types = types.types;
  renderInfo(t);
  renderLeaks(leaks, t);
  renderMemoryCards();
  renderChart();
  renderLoad(load);
  renderTypes();
  await loadDiff();
  status(`updated ${fmtTime(Date.now())}`);
}

function loop(): void {
  clearTimeout(state.timer);
  refresh()
    .catch((err: unknown) => status(`refresh failed: ${err instanceof Error ? err.message : String(err)}`, true))
    .finally(() => {
      document.body.dataset.ready = "1";
      state.timer = setTimeout(loop, REFRESH_MS);
    });
}

function init(): void {
  byId<HTMLSelectElement>("target").addEventListener("change", (ev) => {
    resetTarget((ev.target as HTMLSelectElement).value);
    loop();
  });
  byId<HTMLInputElement>("types-filter").addEventListener("input", () => renderTypes());
  byId<HTMLSelectElement>("diff-from").addEventListener("change", (ev) => {
    state.diffFrom = (ev.target as HTMLSelectElement).value;
    state.diffTo ??= state.dumps.at(-1)?.id ?? null;
    void loadDiff().catch((err: unknown) => status(String(err), true));
  });
  byId<HTMLSelectElement>("diff-to").addEventListener("change", (ev) => {
    state.diffTo = (ev.target as HTMLSelectElement).value;
    state.diffFrom ??= defaultFrom();
    void loadDiff().catch((err: unknown) => status(String(err), true));
  });
  byId("diff-latest").addEventListener("click", () => {
    state.diffFrom = state.diffTo = null;
    void loadDiff(true).catch((err: unknown) => status(String(err), true));
  });
  window.addEventListener("resize", () => {
    if (state.chart) renderChart();
  });
  if (!window.uPlot) status("uPlot did not load: charts are off", true);
  loop();
}

init();
