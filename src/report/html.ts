// report.html: one self-contained file (inline CSS and SVG, no script, no network) with memory vs limit, load,
// the top growing types with their series, and the diff between the first and the last dump.
import { formatBytes } from "../util/units.js";
import type { RunReport } from "./model.js";
import { lineChart } from "./svg.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"];

export function renderHtml(r: RunReport): string {
  const body: string[] = [];
  const verdictClass = r.verdict === "no_leak_suspected" ? "ok" : "bad";
  body.push(`<h1>leakwatch soak report</h1><p class="verdict ${verdictClass}">${esc(r.verdict.replaceAll("_", " "))} — exit code ${r.exitCode}</p>`);
  body.push(
    `<p>${esc(r.startedAt)} → ${esc(r.endedAt)} (${Math.round(r.durationSeconds)} s), ended by ${esc(r.endReason.replaceAll("_", " "))}; leakwatch ${esc(r.leakwatch)}</p>`,
  );
  for (const t of r.targets) {
    body.push(
      `<h2>${esc(t.name)}</h2><p><code>${esc(t.command)}</code><br>runtime ${esc(t.runtime)}, heap source ${esc(t.heapSource ?? "none")}, ${t.dumps.length} dumps, ${t.oomKills} OOM kills, ${t.restarts} restarts${t.exit ? `, exit status ${t.exit.status}` : ""}</p>`,
    );
    const mem = [
      { label: "RSS", color: "#1f77b4", points: t.memory.filter((m) => m.rss !== undefined).map((m) => [m.time, m.rss!] as [number, number]) },
      {
        label: "cgroup working set",
        color: "#2ca02c",
        points: t.memory.filter((m) => m.workingSet !== undefined).map((m) => [m.time, m.workingSet!] as [number, number]),
      },
      {
        label: "limit",
        color: "#d62728",
        dashed: true,
        points: t.memory.filter((m) => m.limit !== undefined).map((m) => [m.time, m.limit!] as [number, number]),
      },
    ];
    body.push(`<h3>Memory vs limit</h3>${lineChart(mem, { title: "memory", yFormat: formatBytes })}`);
    const load = t.dumps.filter((d) => d.requests !== undefined).map((d) => [d.time, d.requests!] as [number, number]);
    if (load.length > 1)
      body.push(`<h3>Load (cumulative requests at each dump)</h3>${lineChart([{ label: "requests", color: "#ff7f0e", points: load }], { title: "load" })}`);
    for (const l of t.leaks) {
      body.push(`<h3>Leak: ${esc(l.root)}</h3>`);
      body.push(
        `<p>Retains <b>${esc(formatBytes(l.retainedBytes))}</b> in ${l.instances} instances, growing <b>${esc(formatBytes(l.growthBytesPerSecond))}/s</b>${l.bytesPerRequest !== null ? `, ${esc(formatBytes(l.bytesPerRequest))} per request` : ""}; first seen ${esc(l.firstSeen)}.${l.accumulationPoint ? ` Accumulates in one ${esc(l.accumulationPoint)}.` : ""}</p>`,
      );
      if (l.history.length > 1)
        body.push(
          lineChart([{ label: "retained", color: COLORS[0]!, points: l.history.map((h) => [h.time, h.retainedBytes] as [number, number]) }], {
            title: `${l.root.slice(0, 40)}: retained bytes`,
            yFormat: formatBytes,
          }),
        );
      body.push(`<ol>${l.path.map((p) => `<li><code>${esc(p.edge)}</code> → ${esc(p.type)}</li>`).join("")}</ol>`);
      if (l.members.length) body.push(`<p>Members: ${l.members.map((m) => esc(m.type)).join(", ")}</p>`);
    }
    body.push(`<h3>Leak suspects</h3>`);
    if (t.suspects.length === 0) body.push("<p>No heap type is a leak suspect.</p>");
    else {
      body.push(
        lineChart(
          t.suspects
            .slice(0, 5)
            .map((s, i) => ({ label: s.type.slice(0, 24), color: COLORS[i]!, points: s.series.map((p) => [p.time, p.bytes] as [number, number]) })),
          { title: "suspect types, bytes per dump", yFormat: formatBytes },
        ),
      );
      body.push("<table><tr><th>type</th><th>growth</th><th>bytes/s</th><th>bytes/request</th><th>p</th><th>last</th><th>why leaking</th></tr>");
      for (const s of t.suspects)
        body.push(
          `<tr><td>${esc(s.type)}</td><td>+${esc(formatBytes(s.netGrowthBytes))}</td><td>${s.bytesSlopePerSecond.toFixed(1)}</td><td>${s.bytesPerRequest !== undefined ? s.bytesPerRequest.toFixed(1) : "—"}</td><td>${s.mkP.toPrecision(2)}</td><td>${esc(formatBytes(s.lastBytes))}</td><td style="text-align:left">${esc(s.reason)}</td></tr>`,
        );
      body.push("</table>");
    }
    if (t.watched.length) {
      body.push("<h3>Not suspects, but watched</h3><table><tr><th>type</th><th>state</th><th>why</th></tr>");
      for (const w of t.watched) body.push(`<tr><td>${esc(w.type)}</td><td>${esc(w.state)}</td><td style="text-align:left">${esc(w.reason)}</td></tr>`);
      body.push("</table>");
    }
    if (t.diff.length) {
      body.push("<h3>First vs last dump</h3><table><tr><th>type</th><th>bytes before</th><th>bytes after</th><th>Δbytes</th><th>Δobjects</th></tr>");
      for (const d of t.diff)
        body.push(
          `<tr><td>${esc(d.type)}</td><td>${esc(formatBytes(d.bytesA))}</td><td>${esc(formatBytes(d.bytesB))}</td><td>${d.deltaBytes >= 0 ? "+" : ""}${esc(formatBytes(d.deltaBytes))}</td><td>${d.deltaCount >= 0 ? "+" : ""}${d.deltaCount}</td></tr>`,
        );
      body.push("</table>");
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>leakwatch report: ${esc(r.verdict)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left;word-break:break-all;unicode-bidi:isolate}.verdict{font-size:1.3em;font-weight:bold}.ok{color:#2ca02c}.bad{color:#d62728}code{word-break:break-all}</style>
</head><body>${body.join("\n")}</body></html>
`;
}
