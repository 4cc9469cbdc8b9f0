// Raw dumps hold the target's secrets: deleted once parsed, or the newest N kept with --keep-dumps N.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureRawDir, rawDumpDisposer } from "../../../src/heap/raw-dumps.js";

let dir: string;
let raw: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-raw-"));
  raw = path.join(dir, "raw", "svc");
  await ensureRawDir(raw);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function rawFile(n: number): Promise<string> {
  const f = path.join(raw, `dump-${n}.raw`);
  await writeFile(f, "secret", { mode: 0o600 });
  return f;
}

describe("raw dumps", () => {
  it("lives in a private directory", async () => {
    expect(((await stat(raw)).mode & 0o777).toString(8)).toBe("700");
  });

  it("deletes a raw file once parsed", async () => {
    const dispose = rawDumpDisposer(raw, 0);
    await dispose(await rawFile(1));
    expect(await readdir(raw)).toEqual([]);
  });

  it("keeps the newest N with --keep-dumps N, in a private kept/ directory", async () => {
    const dispose = rawDumpDisposer(raw, 2);
    for (let n = 0; n < 4; n++) await dispose(await rawFile(n));
    expect(await readdir(raw)).toEqual(["kept"]);
    const kept = path.join(raw, "kept");
    expect(((await stat(kept)).mode & 0o777).toString(8)).toBe("700");
    const files = (await readdir(kept)).sort();
    expect(files).toHaveLength(2);
    expect(files.map((f) => f.replace(/^.*-(dump-\d+\.raw)$/, "$1"))).toEqual(["dump-2.raw", "dump-3.raw"]);
  });
});
