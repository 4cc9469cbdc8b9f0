// report.md: the summary a person pastes into a ticket.
import { formatBytes } from "../util/units.js";
import type { RunReport } from "./model.js";

const VERDICT_TEXT = {
  no_leak_suspected: "No leak suspected",
  leak_suspected: "Leak suspected",
  target_crashed: "Target crashed or was OOM-killed",
} as const;

/**
 * Type names come from the target's heap: keep them from breaking the Markdown table, and from being read as HTML
 * (Markdown viewers render inline HTML: a type named `<img onerror=…>` or `</td>` must stay text).
 */
const HTML_CHARS: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;" };
const cell = (s: string) =>
  s
    .replace(/[<>&]/g, (c) => HTML_CHARS[c]!)
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")
    .replace(/`/g, "'");

export function renderMarkdown(r: RunReport): string {
  const L: string[] = [];
  L.push(`# leakwatch soak report: ${VERDICT_TEXT[r.verdict]}`, "");
  L.push(`- Run: ${r.startedAt} → ${r.endedAt} (${Math.round(r.durationSeconds)} s), ended by ${r.endReason.replace("_", " ")}`);
  L.push(`- Verdict: **${VERDICT_TEXT[r.verdict]}** (exit code ${r.exitCode}); leakwatch ${r.leakwatch}`, "");
  for (const t of r.targets) {
    L.push(`## ${cell(t.name)}`, "");
    L.push(`- Command: \`${cell(t.command)}\``);
    L.push(
      `- Runtime: ${t.runtime}; heap source: ${t.heapSource ?? "none"}; dumps: ${t.dumps.length}${t.requests !== null ? `; requests: ${t.requests}` : ""}`,
    );
    const peak = Math.max(0, ...t.memory.map((m) => m.workingSet ?? m.rss ?? 0));
    L.push(
      `- Memory: peak ${formatBytes(peak)}${t.memoryLimit ? ` of a ${formatBytes(t.memoryLimit)} limit` : ""}; OOM kills: ${t.oomKills}; restarts: ${t.restarts}`,
    );
    if (t.exit) L.push(`- Exit: ${t.exit.signal ? `killed by ${t.exit.signal}` : `code ${t.exit.code}`} (status ${t.exit.status})`);
    if (t.dumpFailures.length) L.push(`- Dumps not taken: ${t.dumpFailures.map((f) => `${f.count}× ${f.result} (${f.reason})`).join(", ")}`);
    L.push("");
    for (const l of t.leaks) {
      L.push(
        `### Leak: ${cell(l.root)}`,
        "",
        `- Retains ${formatBytes(l.retainedBytes)} in ${l.instances} instances, growing ${formatBytes(l.growthBytesPerSecond)}/s${l.bytesPerRequest !== null ? `, ${formatBytes(l.bytesPerRequest)} per request` : ""}; first seen ${l.firstSeen}`,
      );
      if (l.accumulationPoint) L.push(`- Accumulates in one ${cell(l.accumulationPoint)}`);
      if (l.members.length) L.push(`- Members: ${l.members.map((m) => cell(m.type)).join(", ")}`);
      L.push("- Path from a GC root:", "", ...l.path.map((p, i) => `${i + 1}. \`${cell(p.edge)}\` → ${cell(p.type)}`), "");
    }
    if (t.suspects.length) {
      L.push(
        "| suspect type | growth | bytes/s | objects/s | bytes/request | p (Mann–Kendall) | last bytes | why leaking |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
      );
      for (const s of t.suspects) {
        L.push(
          `| ${cell(s.type)} | +${formatBytes(s.netGrowthBytes)} (${(s.relativeGrowth * 100).toFixed(0)}%) | ${s.bytesSlopePerSecond.toFixed(1)} | ${s.objectsSlopePerSecond.toFixed(2)} | ${s.bytesPerRequest !== undefined ? s.bytesPerRequest.toFixed(1) : "—"} | ${s.mkP.toPrecision(2)} | ${formatBytes(s.lastBytes)} | ${cell(s.reason)} |`,
        );
      }
      L.push("");
    } else {
      L.push("No heap type is a leak suspect.", "");
    }
    if (t.watched.length) {
      L.push("Not suspects, but watched:", "", "| type | state | why |", "| --- | --- | --- |");
      for (const w of t.watched) L.push(`| ${cell(w.type)} | ${w.state} | ${cell(w.reason)} |`);
      L.push("");
    }
    if (t.diff.length) {
      L.push("Largest growth between the first and the last dump:", "", "| type | Δbytes | Δobjects |", "| --- | ---: | ---: |");
      for (const d of t.diff.slice(0, 10))
        L.push(`| ${cell(d.type)} | ${d.deltaBytes >= 0 ? "+" : ""}${formatBytes(d.deltaBytes)} | ${d.deltaCount >= 0 ? "+" : ""}${d.deltaCount} |`);
      L.push("");
    }
  }
  return L.join("\n");
}
