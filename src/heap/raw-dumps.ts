// Raw dumps (heap snapshots, hprof files, gcdumps) hold the target's secrets: its strings, tokens, user data. A
// source writes them 0600 into the target's private directory and hands each to the disposer once it is parsed;
// the disposer deletes it, unless --keep-dumps N asks to keep the last N for a closer look.
import { readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { newDumpId } from "./store.js";
import { makeDir } from "../util/fs.js";

/** Creates the target's private directory for raw dumps (0700) if it does not exist. */
export async function ensureRawDir(rawDir: string): Promise<void> {
  await makeDir(rawDir, 0o700);
}

/** What a source calls on a raw file once it is parsed: delete it, or move it to rawDir/kept and keep the newest keepDumps. */
export function rawDumpDisposer(rawDir: string, keepDumps: number): (file: string) => Promise<void> {
  return async (file) => {
    if (keepDumps <= 0) {
      await unlink(file).catch(() => undefined);
      return;
    }
    const keepDir = path.join(rawDir, "kept");
    await makeDir(keepDir, 0o700);
    const kept = path.join(keepDir, `${newDumpId(Date.now())}-${path.basename(file)}`);
    await rename(file, kept).catch(() => unlink(file).catch(() => undefined));
    const files = await readdir(keepDir);
    const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(path.join(keepDir, f))).mtimeMs })));
    withTimes.sort((a, b) => b.t - a.t || b.f.localeCompare(a.f));
    for (const { f } of withTimes.slice(keepDumps)) await unlink(path.join(keepDir, f)).catch(() => undefined);
  };
}
