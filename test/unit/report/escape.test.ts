// Type names come from the target's heap: report.md and report.html must show them as text, never as markup.
import { describe, expect, it } from "vitest";
import { renderHtml } from "../../../src/report/html.js";
import { renderMarkdown } from "../../../src/report/markdown.js";
import type { RunReport, TargetReport } from "../../../src/report/model.js";

const HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a</td><td>b", "x|y`z"];

function report(): RunReport {
  const suspects = HOSTILE.map((type) => ({
    type,
    suspect: true,
    netGrowthBytes: 1e6,
    relativeGrowth: 0.5,
    bytesSlopePerSecond: 10,
    objectsSlopePerSecond: 1,
    mkP: 0.001,
    lastBytes: 2e6,
    reason: `rising ${type}`,
    series: [{ time: 1, bytes: 1, count: 1 }],
  })) as unknown as TargetReport["suspects"];
  const target: TargetReport = {
    name: "svc",
    command: "node <b>x</b>.js",
    runtime: "node",
    heapSource: "v8",
    restarts: 0,
    exit: null,
    oomKills: 0,
    memoryLimit: null,
    memory: [],
    requests: null,
    dumps: [],
    dumpFailures: [],
    leaks: HOSTILE.map((type) => ({
      root: type,
      retainedBytes: 1e6,
      instances: 10,
      growthBytesPerSecond: 100,
      bytesPerRequest: null,
      members: [{ type, growthBytesPerSecond: 1 }],
      path: [{ type, edge: type }],
      accumulationPoint: type,
      firstSeen: "2026-12-01T00:00:00.000Z",
      history: [
        { time: 1, retainedBytes: 1 },
        { time: 2, retainedBytes: 2 },
      ],
    })),
    suspects,
    watched: HOSTILE.map((type) => ({ type, state: "settling", reason: `settling ${type}` })),
    diff: HOSTILE.map((type) => ({ type, deltaBytes: 10, deltaCount: 1 })) as unknown as TargetReport["diff"],
  };
  return { leakwatch: "0", startedAt: "a", endedAt: "b", durationSeconds: 1, endReason: "dumps", verdict: "leak_suspected", exitCode: 3, targets: [target] };
}

describe("report escaping", () => {
  it("report.md carries no raw tag from a type name, and keeps each table row one row", () => {
    const md = renderMarkdown(report());
    expect(md).not.toMatch(/<script|<img|<\/td>|<b>/);
    expect(md.match(/^### Leak: /gm)).toHaveLength(HOSTILE.length);
    expect(md).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(md).toContain("a&lt;/td&gt;&lt;td&gt;b");
    expect(md).toContain("x\\|y'z");
    const cells = (line: string) => line.split(/(?<!\\)\|/).length - 2; // unescaped pipes delimit the cells
    const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !l.startsWith("| suspect") && !l.startsWith("| type"));
    expect(rows).toHaveLength(3 * HOSTILE.length);
    for (const r of rows.slice(0, HOSTILE.length)) expect(cells(r), r).toBe(8); // the suspects table
    for (const r of rows.slice(HOSTILE.length)) expect(cells(r), r).toBe(3); // the watched and diff tables
  });

  it("report.html carries no raw tag from a type name", () => {
    const html = renderHtml(report());
    expect(html).not.toMatch(/<script|<img|a<\/td>|<b>x/);
    // The leaks lead, each with its chart and path.
    expect(html.indexOf("<h3>Leak: ")).toBeLessThan(html.indexOf("<h3>Leak suspects</h3>"));
    expect(html.match(/<h3>Leak: /g)).toHaveLength(HOSTILE.length);
    expect(html).toContain("&#60;script&#62;");
  });
});
