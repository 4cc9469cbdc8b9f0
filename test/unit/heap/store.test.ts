import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, writeFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DumpStore, newDumpId } from "../../../src/heap/store.js";
import type { DumpSummary } from "../../../src/model/summary.js";

const logger = pino({ level: "silent" });
let dir: string;
afterEach(async () => rm(dir, { recursive: true, force: true }));

function summary(target: string, time: number, bytes: number): DumpSummary {
  return {
    id: newDumpId(time),
    target,
    time,
    source: "test",
    durationSeconds: 0.1,
    format: "plain",
    totalObjects: 1,
    totalBytes: bytes,
    bytesExact: true,
    notes: [],
    types: [{ type: "Foo", count: 1, bytes }],
  };
}

describe("DumpStore", () => {
  it("keeps history across a restart, in time order, with private files", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 10, logger });
    await a.open();
    for (let i = 0; i < 3; i++) await a.add(summary("api", 1000 + i, i * 10));
    const b = new DumpStore({ dataDir: dir, retention: 10, logger });
    await b.open();
    expect(b.list("api").map((d) => d.totalBytes)).toEqual([0, 10, 20]);
    expect(b.get("api", b.list("api")[1]!.id)?.time).toBe(1001);
    const files = await readdir(path.join(dir, "dumps", "api"));
    expect(((await stat(path.join(dir, "dumps", "api", files[0]!))).mode & 0o777).toString(8)).toBe("600");
  });

  it("ignores a write interrupted by a crash and a corrupt file, keeping every earlier dump", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 10, logger });
    await a.open();
    await a.add(summary("api", 1000, 1));
    await a.add(summary("api", 2000, 2));
    const tdir = path.join(dir, "dumps", "api");
    // What kill -9 in the middle of add() leaves: a partial temporary file.
    await writeFile(path.join(tdir, "20991231T000000000Z-0001.json.tmp-4242"), '{"id":"x","tar');
    await writeFile(path.join(tdir, "20991231T000000000Z-0002.json"), "{not json");
    const b = new DumpStore({ dataDir: dir, retention: 10, logger });
    await b.open();
    expect(b.list("api").map((d) => d.totalBytes)).toEqual([1, 2]);
    expect((await readdir(tdir)).some((f) => f.includes(".tmp-"))).toBe(false);
  });

  it("deletes the oldest summaries beyond the retention", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 2, logger });
    await a.open();
    for (let i = 0; i < 5; i++) await a.add(summary("api", 1000 + i, i));
    expect(a.list("api").map((d) => d.totalBytes)).toEqual([3, 4]);
    expect(await readdir(path.join(dir, "dumps", "api"))).toHaveLength(2);
  });
});
