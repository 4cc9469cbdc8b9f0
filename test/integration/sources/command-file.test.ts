// The command and file heap sources with real processes and files: a script printing a plain table, a command
// that fails, one that hangs and is killed on abort (with its whole process group), one that kills the target;
// files appearing in a directory, one still being written.
import { afterEach, describe, expect, it } from "vitest";
import { appendFileSync, readFileSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { CommandSource } from "../../../src/sources/command.js";
import { FileSource } from "../../../src/sources/file.js";
import { dumpLimits } from "../../../src/formats/limits.js";
import { alive, makeContext, rowOf, scratch, targetsDir } from "../../helpers/targets.js";

const { tmp, sleeper, cleanup } = scratch();
afterEach(cleanup);

describe("command heap source", () => {
  it("runs the command with {pid} substituted and parses its plain table", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      const body = await new CommandSource({ argv: [process.execPath, path.join(targetsDir, "plain-table.js"), "{pid}"] }).dump(ctx);
      expect(body.format).toBe("plain");
      expect(rowOf(body, "com.example.Session")).toEqual({ type: "com.example.Session", count: 120, bytes: 3840 });
      expect(body.totalObjects).toBe(1127);
    } finally {
      ctx.cleanup();
    }
  });

  it("substitutes {pid} inside arguments and passes it to the command", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      const body = await new CommandSource({ argv: ["sh", "-c", "printf '3 30 pid-{pid}\\n'"] }).dump(ctx);
      expect(body.types).toEqual([{ type: `pid-${pid}`, count: 3, bytes: 30 }]);
    } finally {
      ctx.cleanup();
    }
  });

  it("turns a non-zero exit into a DumpError carrying the first line of stderr", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      const err = await new CommandSource({ argv: [process.execPath, path.join(targetsDir, "plain-table.js"), "fail"] }).dump(ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: "attach_failed" });
      expect((err as Error).message).toMatch(/exited with code 3: cannot attach: permission denied$/);
    } finally {
      ctx.cleanup();
    }
  });

  it("reports tool_missing for a command that does not exist", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      await expect(new CommandSource({ argv: ["/nonexistent/heap-tool", "{pid}"] }).dump(ctx)).rejects.toMatchObject({ reason: "tool_missing" });
    } finally {
      ctx.cleanup();
    }
  });

  it("kills a hanging command and everything it started when aborted: timeout", async () => {
    const pid = sleeper();
    const d = tmp("lw-hang-");
    const pidFile = path.join(d, "pids");
    const ctx = makeContext(pid, "sleep 30");
    try {
      // sh starts `sleep 60` in the background and waits: both must go.
      const source = new CommandSource({ argv: ["sh", "-c", 'sleep 60 & echo $$ $! > "$0"; wait', pidFile] });
      const pending = source.dump(ctx);
      const t0 = Date.now();
      while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim().split(" ").length < 2) {
        if (Date.now() - t0 > 5000) throw new Error("the command never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      const [shPid, sleepPid] = readFileSync(pidFile, "utf8").trim().split(" ").map(Number);
      ctx.controller.abort();
      await expect(pending).rejects.toMatchObject({ reason: "timeout" });
      const end = Date.now() + 3000;
      while ((alive(shPid!) || alive(sleepPid!)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(alive(shPid!)).toBe(false);
      expect(alive(sleepPid!)).toBe(false);
      expect(alive(pid)).toBe(true); // the target is not touched
    } finally {
      ctx.cleanup();
    }
  });

  it("reports target_exited when the target dies during the command", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      await expect(new CommandSource({ argv: ["sh", "-c", "kill -9 {pid}; sleep 0.2; echo gone >&2; exit 1"] }).dump(ctx)).rejects.toMatchObject({
        reason: "target_exited",
      });
    } finally {
      ctx.cleanup();
    }
  });
});

describe("command heap source: bounded output", () => {
  it("kills a command printing beyond --max-dump-bytes and fails the dump as parse_error", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    let tool = 0;
    try {
      const source = new CommandSource({ argv: ["yes", "1 2 Foo.Bar"], limits: dumpLimits({ maxBytes: 4 * 1024 * 1024 }), onSpawn: (p) => (tool = p) });
      const err = await source.dump(ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: "parse_error" });
      expect((err as Error).message).toBe("heap command yes printed more than 4 MiB (--max-dump-bytes); it was killed");
      expect(alive(tool)).toBe(false);
    } finally {
      ctx.cleanup();
    }
  });

  it("kills a command printing more distinct types than --max-dump-types, or a line without end", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    try {
      const types = new CommandSource({
        // writeSync: process.stdout.write in a loop that never yields would only queue (stdout is a socket here).
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder belongs to the child's script
        argv: [process.execPath, "-e", "for (let i = 0; ; i++) require('fs').writeSync(1, `1 8 Type${i}\\n`)"],
        limits: dumpLimits({ maxTypes: 1000 }),
      });
      const err = await types.dump(ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: "parse_error" });
      expect((err as Error).message).toMatch(
        /^output of heap command \S+ \(it was killed\): plain: line 1001: more than 1000 distinct types \(--max-dump-types\)$/,
      );

      // Valid rows first, so the format is known, then one line that never ends.
      const line = new CommandSource({ argv: ["sh", "-c", "printf '1 2 A\\n1 2 '; exec cat /dev/zero"], limits: dumpLimits({ maxLineLength: 100_000 }) });
      const err2 = await line.dump(ctx).catch((e: unknown) => e);
      expect(err2).toMatchObject({ reason: "parse_error" });
      expect((err2 as Error).message).toMatch(/plain: line 2: a line longer than 100000 characters/);
    } finally {
      ctx.cleanup();
    }
  });

  it("stops reading at the timeout: the dump ends with the tool, not with its output", async () => {
    const pid = sleeper();
    const ctx = makeContext(pid, "sleep 30");
    let tool = 0;
    try {
      const pending = new CommandSource({ argv: ["yes", "1 2 Foo.Bar"], onSpawn: (p) => (tool = p) }).dump(ctx);
      const t0 = Date.now();
      while (tool === 0) {
        if (Date.now() - t0 > 10_000) throw new Error("the command never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 200)); // printing and being parsed
      ctx.controller.abort();
      await expect(pending).rejects.toMatchObject({ reason: "timeout" });
      expect(alive(tool)).toBe(false);
    } finally {
      ctx.cleanup();
    }
  });
});

describe("file heap source", () => {
  const table = (n: number): string => `${n} ${n * 16} com.example.Leak\n5 80 com.example.Stable\n`;

  it("ingests the newest complete file once, skips one still being written, then takes it when complete", async () => {
    const dir = tmp("lw-files-");
    const source = new FileSource({ dir, settleMs: 300 });
    const ctx = makeContext(process.pid, "");
    try {
      const old = Date.now() / 1000 - 60;
      writeFileSync(path.join(dir, "a.txt"), table(10));
      utimesSync(path.join(dir, "a.txt"), old, old);
      writeFileSync(path.join(dir, "b.txt"), table(20));
      utimesSync(path.join(dir, "b.txt"), old + 1, old + 1);
      // c.txt is being written: it keeps growing while the source looks at it.
      const c = path.join(dir, "c.txt");
      writeFileSync(c, "30 480 com.example.Leak\n");
      const writer = setInterval(() => appendFileSync(c, "# still writing\n"), 50);
      let body;
      try {
        body = await source.dump(ctx);
      } finally {
        clearInterval(writer);
      }
      expect(rowOf(body, "com.example.Leak")?.count).toBe(20); // b: the newest complete one (a is passed over)
      appendFileSync(c, "5 80 com.example.Stable\n");
      body = await source.dump(ctx); // c has stopped changing: complete now
      expect(rowOf(body, "com.example.Leak")?.count).toBe(30);
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "incomplete" }); // nothing new
      // Rewritten in place: same name, new size and mtime → a new file.
      writeFileSync(path.join(dir, "a.txt"), table(40));
      body = await source.dump(ctx);
      expect(rowOf(body, "com.example.Leak")?.count).toBe(40);
      // The files are not ours: all still there.
      expect(existsSync(path.join(dir, "a.txt")) && existsSync(path.join(dir, "b.txt")) && existsSync(c)).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });

  it("deletes ingested files only when asked, reads V8 snapshots by streaming, and tells a watcher about new files", async () => {
    const dir = tmp("lw-files-");
    const source = new FileSource({ dir, settleMs: 100, deleteAfterIngest: true });
    const seen: string[] = [];
    const stop = source.watch((f) => seen.push(path.basename(f)));
    const ctx = makeContext(process.pid, "");
    try {
      const snap = path.resolve(targetsDir, "../parsers/node20-leakything.heapsnapshot.gz");
      writeFileSync(path.join(dir, "x.heapsnapshot.gz"), readFileSync(snap));
      await new Promise((r) => setTimeout(r, 150));
      const body = await source.dump(ctx);
      expect(body.format).toBe("v8-heapsnapshot");
      expect(rowOf(body, "LeakyThing")?.count).toBeGreaterThan(0);
      expect(existsSync(path.join(dir, "x.heapsnapshot.gz"))).toBe(false);
      expect(seen).toContain("x.heapsnapshot.gz");
    } finally {
      stop();
      ctx.cleanup();
    }
  });

  it("stops reading a text file at --max-dump-bytes; a V8 snapshot has no size limit", async () => {
    const dir = tmp("lw-files-");
    const ctx = makeContext(process.pid, "");
    try {
      writeFileSync(path.join(dir, "big.txt"), "1 2 Foo.Bar\n".repeat(100_000)); // 1.2 MB
      await new Promise((r) => setTimeout(r, 80));
      const err = await new FileSource({ dir, settleMs: 50, limits: dumpLimits({ maxBytes: 1024 * 1024 }) }).dump(ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: "parse_error" });
      expect((err as Error).message).toMatch(/big\.txt: plain: line \d+: more than 1 MiB of text \(--max-dump-bytes\)$/);

      const v8 = tmp("lw-files-");
      const nodes = Array.from({ length: 100_000 }, (_, i) => `0,0,${i + 1},8`).join(",\n");
      writeFileSync(
        path.join(v8, "a.heapsnapshot"),
        `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size"],"node_types":[["object"],"string","number","number"]},"node_count":100000},"nodes":[${nodes}],"strings":["A"]}`,
      );
      await new Promise((r) => setTimeout(r, 80));
      const body = await new FileSource({ dir: v8, settleMs: 50, limits: dumpLimits({ maxBytes: 1024 * 1024 }) }).dump(ctx);
      expect(body.types).toEqual([{ type: "A", count: 100_000, bytes: 800_000 }]);
    } finally {
      ctx.cleanup();
    }
  });

  it("reports parse_error for a complete file that is not a heap table, and does not retry it", async () => {
    const dir = tmp("lw-files-");
    const source = new FileSource({ dir, settleMs: 50 });
    const ctx = makeContext(process.pid, "");
    try {
      writeFileSync(path.join(dir, "junk.txt"), "hello world\n");
      await new Promise((r) => setTimeout(r, 80));
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "parse_error" });
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "incomplete" });
    } finally {
      ctx.cleanup();
    }
  });
});
