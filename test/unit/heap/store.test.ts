import { afterEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat } from "node:fs/promises";
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

describe("DumpStore in memory: headers only", () => {
  const many = (target: string, time: number, n: number): DumpSummary => ({
    ...summary(target, time, n),
    types: Array.from({ length: n }, (_, i) => ({ type: `T${i}`, count: i, bytes: i * 8 })),
  });

  it("lists headers (no rows, their count) and reads a whole summary back from its file", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 10, logger });
    await a.open();
    const s = many("api", 1000, 5000);
    await a.add(s);
    const [h] = a.list("api");
    expect(h).not.toHaveProperty("types");
    expect(h).toMatchObject({ id: s.id, typeCount: 5000, totalBytes: s.totalBytes, notes: [] });
    expect(await a.read("api", s.id)).toEqual(s);
    expect(await a.read("api", "nope")).toBeUndefined();
    // The API streams the file itself: the summary, plus its row count.
    const stream = await a.stream("api", s.id);
    let text = "";
    for await (const chunk of stream!) text += chunk.toString();
    expect(JSON.parse(text)).toEqual({ ...s, typeCount: 5000 });
    expect(await a.stream("api", "nope")).toBeUndefined();
  });

  it("reads only a file's header at open (rows last), and whole files written the old way (rows in the middle)", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const tdir = path.join(dir, "dumps", "api");
    await mkdir(tdir, { recursive: true });
    const old = many("api", 1000, 3);
    // How the previous version wrote summaries: JSON.stringify of the summary as the runner built it.
    const { id, target, time, source, durationSeconds, ...body } = old;
    await writeFile(path.join(tdir, `${old.id}.json`), JSON.stringify({ ...body, id, target, time, source, durationSeconds }));
    // A file whose rows are damaged after its header: open() does not read that far; reading it fails.
    const fresh = many("api", 2000, 3);
    const good = new DumpStore({ dataDir: path.join(dir, "scratch"), retention: 10, logger });
    await good.add(fresh);
    const written = await readFile(path.join(dir, "scratch", "dumps", "api", `${fresh.id}.json`), "utf8");
    expect(written.indexOf('"typeCount"')).toBeLessThan(written.indexOf('"types"'));
    await writeFile(path.join(tdir, `${fresh.id}.json`), `${written.slice(0, written.indexOf('"types":[') + 9)}{"type":"Bro`);
    const b = new DumpStore({ dataDir: dir, retention: 10, logger });
    await b.open();
    expect(b.list("api").map((d) => [d.id, d.typeCount])).toEqual([
      [old.id, 3],
      [fresh.id, 3],
    ]);
    expect(await b.read("api", old.id)).toEqual(old);
    await expect(b.read("api", fresh.id)).rejects.toThrow();
  });

  it("keeps time order when the clock goes back, deletes the oldest by time, and says which it deleted", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 3, logger });
    await a.open();
    for (const t of [1000, 3000, 4000]) await a.add(summary("api", t, t));
    const dropped = await a.add(summary("api", 2000, 2000)); // the clock went back
    expect(a.list("api").map((d) => d.time)).toEqual([2000, 3000, 4000]);
    expect(dropped.map((d) => d.time)).toEqual([1000]);
    expect((await a.add(summary("api", 500, 500))).map((d) => d.time)).toEqual([500]); // older than everything kept
    expect(await readdir(path.join(dir, "dumps", "api"))).toHaveLength(3);
  });

  it("without a data dir keeps the summaries themselves, within the retention", async () => {
    const a = new DumpStore({ retention: 2, logger });
    await a.open();
    const s = [1, 2, 3].map((i) => many("api", i * 1000, i));
    for (const x of s) await a.add(x);
    expect(a.list("api").map((d) => d.id)).toEqual([s[1]!.id, s[2]!.id]);
    expect(await a.read("api", s[2]!.id)).toEqual(s[2]);
    expect(await a.read("api", s[0]!.id)).toBeUndefined();
    let text = "";
    for await (const chunk of (await a.stream("api", s[1]!.id))!) text += chunk.toString();
    expect(JSON.parse(text)).toEqual({ ...s[1], typeCount: 2 });
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-")); // for afterEach
  });

  it("reads a .NET summary stored with the earlier type names in today's spelling (read, stream, after a restart)", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lw-store-"));
    const a = new DumpStore({ dataDir: dir, retention: 10, logger });
    await a.open();
    // As leakwatch stored it before: no typeNames, dotnet-gcdump's spelling.
    const old: DumpSummary = {
      ...summary("api", 1000, 0),
      source: "dotnet",
      format: "nettrace",
      totalObjects: 6,
      totalBytes: 330,
      types: [
        { type: "System.Collections.Generic.Dictionary<System.Int32,App.Customer>", count: 3, bytes: 240 },
        { type: "System.String<,>", count: 2, bytes: 80 },
        { type: "<>c", count: 1, bytes: 10 },
      ],
    };
    await a.add(old);
    const today = { ...summary("api", 2000, 24), source: "dotnet", format: "nettrace", typeNames: "sos", types: [{ type: "A<B,C>", count: 1, bytes: 24 }] };
    await a.add(today);
    const b = new DumpStore({ dataDir: dir, retention: 10, logger });
    await b.open();
    const renamed = ["System.Collections.Generic.Dictionary<System.Int32, App.Customer>", "System.String[,]", "<>c"];
    const s = await b.read("api", old.id);
    expect(s?.types.map((t) => t.type)).toEqual(renamed);
    expect(s?.typeNames).toBe("sos");
    expect(s?.notes.at(-1)).toMatch(/2 renamed/);
    let json = "";
    for await (const chunk of (await b.stream("api", old.id))!) json += String(chunk);
    expect((JSON.parse(json) as DumpSummary).types.map((t) => t.type)).toEqual(renamed);
    // A summary stored in today's spelling is read as it is.
    expect((await b.read("api", today.id))?.types[0]?.type).toBe("A<B,C>");
    expect(b.get("api", today.id)?.typeNames).toBe("sos");
  });
});
