// Tiny inline SVG line charts for the self-contained HTML report (no script, no network). Hand-written because a
// static chart of a few series is a few lines of path data, and chart libraries need a browser to render.

export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function lineChart(series: Series[], opts: { width?: number; height?: number; yFormat?: (v: number) => string; title: string }): string {
  const w = opts.width ?? 640;
  const h = opts.height ?? 200;
  const pad = { l: 70, r: 10, t: 24, b: 24 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p class="empty">${esc(opts.title)}: no data</p>`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y1 = Math.max(...ys, 1) * 1.05;
  const X = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const Y = (y: number) => h - pad.b - (y / y1) * (h - pad.t - pad.b);
  const fmt = opts.yFormat ?? ((v: number) => v.toFixed(0));
  const grid = [0, 0.5, 1].map((f) => {
    const y = Y(y1 * f);
    return `<line x1="${pad.l}" x2="${w - pad.r}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${pad.l - 4}" y="${y + 4}" text-anchor="end" font-size="10">${esc(fmt(y1 * f))}</text>`;
  });
  const paths = series
    .filter((s) => s.points.length)
    .map((s) => {
      const d = s.points.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`;
    });
  const legend = series.map((s, i) => `<text x="${pad.l + i * 150}" y="14" font-size="11" fill="${s.color}">■ ${esc(s.label)}</text>`);
  const span = Math.round((x1 - x0) / 1000);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${esc(opts.title)}">${grid.join("")}${paths.join("")}${legend.join("")}<text x="${w - pad.r}" y="${h - 6}" text-anchor="end" font-size="10">${span} s</text></svg>`;
}
