import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RunReport } from "./model.js";
import { renderMarkdown } from "./markdown.js";
import { renderHtml } from "./html.js";

/** Writes report.json, report.md and report.html into dir (created if needed). */
export async function writeReport(dir: string, r: RunReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [
    [path.join(dir, "report.json"), JSON.stringify(r, null, 2) + "\n"],
    [path.join(dir, "report.md"), renderMarkdown(r)],
    [path.join(dir, "report.html"), renderHtml(r)],
  ] as const;
  for (const [f, text] of files) await writeFile(f, text);
  return files.map(([f]) => f);
}
