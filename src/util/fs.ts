// Creating directories without Node's recursive mkdir: on a path under /proc (`--data-dir /proc/1/nope`) Node 20's
// `mkdir(…, { recursive: true })` never settles (the daemon hung before serving). Walking up by hand fails at once
// with the first component that cannot be created.
import { mkdirSync, statSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Creates dir and its missing parents (each with mode); fine when dir exists as a directory. Synchronous underneath:
 * a handful of mkdir calls, cheaper than a thread-pool round trip each.
 */
export async function makeDir(dir: string, mode = 0o777): Promise<void> {
  makeDirSync(dir, mode);
}

/** makeDir, synchronously. */
export function makeDirSync(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: "ENOTDIR", path: d, syscall: "mkdir" });
      break;
    }
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/**
 * Writes file whole or not at all: the pieces into `FILE.tmp-PID` (created with mode), synced, renamed over file, and
 * the directory synced. A failed write removes its temporary file; one a crash left behind is the caller's to sweep.
 */
export async function writeFileAtomic(file: string, pieces: Iterable<string>, mode = 0o600): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", mode);
  try {
    for (const piece of pieces) await fh.write(piece);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  const dh = await open(path.dirname(file), "r");
  await dh.sync().catch(() => undefined);
  await dh.close();
}
