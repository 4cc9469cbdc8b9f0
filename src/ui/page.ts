// The live UI's HTML shell and stylesheet. Kept as TypeScript strings so that tsc alone emits everything the UI
// needs into dist/ (no copy step to forget). The page is filled in by client/app.ts, which only ever sets text.

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function pageHtml(version: string): string {
  const v = escapeHtml(version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakwatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="ui/vendor/uplot/uPlot.min.css">
<link rel="stylesheet" href="ui/app.css">
<script src="ui/vendor/uplot/uPlot.iife.min.js"></script>
<script type="module" src="ui/app.js"></script>
</head>
<body>
<header class="top">
  <h1>leakwatch <span class="version">${v}</span></h1>
  <label>target <select id="target"></select></label>
  <span id="status-line" class="status-line" role="status"></span>
</header>
<main>
  <section id="target-info" class="info"></section>
  <section class="cards">
    <div class="card"><h3>Memory</h3><div class="big" id="card-rss">—</div><div class="sub" id="card-rss-sub"></div></div>
    <div class="card"><h3>Limit</h3><div class="big" id="card-limit">—</div><div class="sub" id="card-limit-sub"></div></div>
    <div class="card" id="card-headroom-box"><h3>Headroom</h3><div class="big" id="card-headroom">—</div><div class="sub" id="card-headroom-sub"></div></div>
    <div class="card"><h3>Load</h3><div class="big" id="card-load">—</div><div class="sub" id="card-load-sub"></div></div>
    <div class="card"><h3>Suspects</h3><div class="big" id="card-suspects">—</div><div class="sub" id="card-suspects-sub"></div></div>
  </section>
  <section class="panel" id="leaks-panel">
    <h2>Leaks <span class="hint" id="leaks-hint"></span></h2>
    <div id="leaks" class="leaks"></div>
  </section>
  <section class="panel">
    <h2>Memory vs limit</h2>
    <div id="mem-chart" class="chart"></div>
    <div class="timeline-label">dumps <span class="legend"><span class="dot ok"></span>success <span class="dot fail"></span>failed <span class="dot skip"></span>skipped</span></div>
    <svg id="timeline" class="timeline" height="26" role="img" aria-label="dump timeline"></svg>
  </section>
  <section class="panel">
    <h2>Heap types <span class="hint" id="types-hint"></span></h2>
    <input id="types-filter" type="search" placeholder="filter types" autocomplete="off">
    <table id="types" class="grid">
      <thead><tr><th></th><th>type</th><th class="num">bytes</th><th class="num">objects</th><th class="num">growth (window)</th><th class="num">rate</th><th>trend</th><th>verdict</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel">
    <h2>Diff between two dumps</h2>
    <div class="diff-controls">
      <label>from <select id="diff-from"></select></label>
      <label>to <select id="diff-to"></select></label>
      <button id="diff-latest" type="button">first → latest</button>
      <span id="diff-summary" class="hint"></span>
    </div>
    <table id="diff" class="grid">
      <thead><tr><th>#</th><th>type</th><th class="num">Δ bytes</th><th class="num">bytes from → to</th><th class="num">Δ objects</th><th class="num">ratio</th><th>status</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
</body>
</html>
`;
}

export const STYLE = `
:root { --fg:#1d2330; --muted:#6b7385; --bg:#f6f7f9; --panel:#fff; --line:#e2e5eb; --ok:#2e9d57; --bad:#d6453d; --warn:#d98b1c; --accent:#3867d6; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; align-items:center; gap:18px; padding:10px 18px; background:#1d2330; color:#fff; }
header.top h1 { font-size:18px; margin:0; font-weight:600; }
header.top .version { font-size:12px; color:#aab; font-weight:400; }
header.top select { font-size:14px; }
.status-line { margin-left:auto; font-size:12px; color:#cbd; }
.status-line.error { color:#ff9a92; }
main { padding:14px 18px; max-width:1400px; margin:0 auto; }
.info { display:flex; flex-wrap:wrap; gap:8px 18px; align-items:center; margin-bottom:12px; }
.info .name { font-size:18px; font-weight:600; }
.info .kv { color:var(--muted); } .info .kv b { color:var(--fg); font-weight:500; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; }
.badge.up { background:var(--ok); } .badge.down { background:var(--bad); } .badge.leak { background:var(--bad); } .badge.rising { background:var(--warn); } .badge.settling { background:#888; } .badge.warn { background:var(--warn); }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(180px, 1fr)); gap:12px; margin-bottom:12px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 14px; }
.card h3 { margin:0 0 4px; font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); font-weight:600; }
.card .big { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.card .sub { color:var(--muted); font-size:12px; min-height:1.4em; unicode-bidi:isolate; }
.card.low .big { color:var(--bad); }
.leaks { display:grid; grid-template-columns:repeat(auto-fit, minmax(320px, 1fr)); gap:12px; }
.leak { border:1px solid var(--bad); border-radius:6px; padding:10px 14px; }
.leak h3 { margin:0 0 6px; font-size:16px; unicode-bidi:isolate; }
.leak .nums { display:flex; gap:16px; flex-wrap:wrap; margin-bottom:6px; }
.leak ol.path { margin:4px 0; padding-left:20px; font-family:ui-monospace, monospace; font-size:12px; }
.leak .members { color:var(--muted); font-size:12px; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 14px; margin-bottom:12px; }
.panel h2 { font-size:15px; margin:0 0 8px; }
.hint { color:var(--muted); font-size:12px; font-weight:400; }
.chart { width:100%; min-height:260px; }
.timeline { width:100%; display:block; }
.timeline-label { font-size:12px; color:var(--muted); margin-top:4px; }
.legend .dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin:0 3px 0 10px; vertical-align:middle; }
.dot.ok { background:var(--accent); } .dot.fail { background:var(--bad); } .dot.skip { background:#fff; border:2px solid var(--muted); }
.timeline .m-ok { fill:var(--accent); cursor:pointer; } .timeline .m-fail { stroke:var(--bad); stroke-width:2; }
.timeline .m-skip { fill:#fff; stroke:var(--muted); stroke-width:1.5; } .timeline .axis { stroke:var(--line); }
table.grid { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
table.grid th, table.grid td { padding:4px 8px; border-bottom:1px solid var(--line); text-align:left; vertical-align:middle; }
table.grid th { font-size:12px; color:var(--muted); font-weight:600; }
table.grid td.num, table.grid th.num { text-align:right; white-space:nowrap; }
table.grid td.type { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12.5px; word-break:break-all; unicode-bidi:isolate; }
table.grid td.reason { color:var(--muted); font-size:12px; }
tr.suspect td { background:#fff1f0; } tr.suspect td.type { font-weight:600; }
.pos { color:var(--bad); } .neg { color:var(--ok); }
.spark { display:block; } .spark polyline { fill:none; stroke:var(--accent); stroke-width:1.5; } tr.suspect .spark polyline { stroke:var(--bad); }
#types-filter { margin:0 0 8px; padding:4px 8px; width:260px; }
.diff-controls { display:flex; flex-wrap:wrap; gap:12px; align-items:center; margin-bottom:8px; }
.empty { color:var(--muted); font-style:italic; }
`;
