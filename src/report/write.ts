import { constants as fsConstants } from "node:fs";
import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RunReport } from "./model.js";
import { renderMarkdown } from "./markdown.js";
import { renderHtml } from "./html.js";
import { makeDir } from "../util/fs.js";

/**
 * Creates the report directory and checks that it can be written, or says why not in a few words ("not a
 * directory", "EACCES"): a run finds out at start, not after hours of soak.
 */
export async function prepareReportDir(dir: string): Promise<string | undefined> {
  try {
    await makeDir(dir);
    await access(dir, fsConstants.W_OK | fsConstants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOTDIR" ? "not a directory" : (code ?? (err as Error).message);
  }
}

/** Writes report.json, report.md and report.html into dir (created if needed). */
export async function writeReport(dir: string, r: RunReport): Promise<string[]> {
  await makeDir(dir);
  const files = [
    [path.join(dir, "report.json"), JSON.stringify(r, null, 2) + "\n"],
    [path.join(dir, "report.md"), renderMarkdown(r)],
    [path.join(dir, "report.html"), renderHtml(r)],
  ] as const;
  for (const [f, text] of files) await writeFile(f, text);
  return files.map(([f]) => f);
}
