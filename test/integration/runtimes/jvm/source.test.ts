// The jvm heap source against a real JVM (java Leak.java, launched from Node so SIGQUIT is not ignored), and
// its failure modes: jcmd missing, the JVM exiting mid-dump, a process that is not a JVM, a pid that is gone.
// (A JVM that ignores SIGQUIT is covered by a unit test with a fake /proc: a real JDK 17 re-installs its own
// SIGQUIT handler even when started with it ignored, so that state cannot be produced here.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { JvmSource } from "../../../../src/runtimes/jvm/source.js";
import { skipReason, which } from "../../../helpers/env.js";
import { LineProcess, alive, makeContext, rowOf, targetsDir } from "../../../helpers/targets.js";

const missing = !which("java") ? "java not installed" : !which("jcmd") ? "jcmd not installed (JRE without JDK tools)" : null;
const skip = skipReason("jvm heap source tests", missing);
const JAVA_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"];

describe.skipIf(skip)("jvm heap source (real JVM)", () => {
  let target: LineProcess;

  beforeAll(async () => {
    target = LineProcess.spawnLines("java", [...JAVA_FLAGS, path.join(targetsDir, "Leak.java"), "5"]);
    await target.waitLine(/^ready$/, 30_000);
    await target.waitLine(/^entries \d+$/);
  });
  afterAll(async () => {
    await target?.kill();
  });

  it("counts the leaking class growing between dumps, matching the program's own count, and stable classes staying", async () => {
    const source = new JvmSource();
    const counts: number[] = [];
    const stableA: number[] = [];
    const stableB: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1200));
      const before = lastEntries(target);
      const ctx = makeContext(target.pid, `java Leak.java`);
      try {
        const body = await source.dump(ctx);
        const afterIdx = target.lines.length;
        const after = Number((await target.waitLine(/^entries (\d+)$/, 5000, { from: afterIdx }))[1]);
        expect(body.format).toBe("jcmd-histogram");
        const leaky = rowOf(body, "LeakyCache$Entry");
        expect(leaky, "LeakyCache$Entry row").toBeDefined();
        // The histogram is taken between the last line printed before and the first printed after it.
        expect(leaky!.count).toBeGreaterThanOrEqual(before);
        expect(leaky!.count).toBeLessThanOrEqual(after);
        counts.push(leaky!.count);
        stableA.push(rowOf(body, "StableA")?.count ?? -1);
        stableB.push(rowOf(body, "StableB")?.count ?? -1);
        expect(ctx.disposed).toEqual([]); // jcmd writes no raw file
      } finally {
        ctx.cleanup();
      }
    }
    expect(counts[1]!).toBeGreaterThan(counts[0]!);
    expect(counts[2]!).toBeGreaterThan(counts[1]!);
    expect(stableA).toEqual([100, 100, 100]);
    expect(stableB).toEqual([50, 50, 50]);
  });

  it("reports tool_missing when jcmd is not in PATH", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "lw-nopath-"));
    const ctx = makeContext(target.pid, "java Leak.java");
    try {
      const source = new JvmSource({ env: { PATH: empty } });
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "tool_missing" });
    } finally {
      ctx.cleanup();
      rmSync(empty, { recursive: true });
    }
  });

  // Last in this block: it kills the shared target.
  it("reports target_exited when the JVM dies while jcmd is attaching", async () => {
    const ctx = makeContext(target.pid, "java Leak.java");
    try {
      const pending = new JvmSource().dump(ctx);
      setTimeout(() => process.kill(target.pid, "SIGKILL"), 50);
      await expect(pending).rejects.toMatchObject({ reason: "target_exited" });
    } finally {
      ctx.cleanup();
    }
  });
});

describe.skipIf(skip)("jvm heap source failures", () => {
  it("refuses a process that is not a JVM (jcmd's SIGQUIT would kill it) and leaves it alive", async () => {
    const sleeper = execa("sleep", ["30"], { reject: false });
    const ctx = makeContext(sleeper.pid!, "sleep 30");
    try {
      await new Promise((r) => setTimeout(r, 100));
      await expect(new JvmSource().dump(ctx)).rejects.toMatchObject({ reason: "not_supported" });
      expect(alive(sleeper.pid!)).toBe(true);
    } finally {
      ctx.cleanup();
      sleeper.kill("SIGKILL");
      await sleeper;
    }
  });

  it("reports target_exited for a pid that is gone", async () => {
    const done = execa("true");
    await done;
    const ctx = makeContext(done.pid!, "true");
    try {
      await expect(new JvmSource().dump(ctx)).rejects.toMatchObject({ reason: "target_exited" });
    } finally {
      ctx.cleanup();
    }
  });
});

function lastEntries(p: LineProcess): number {
  for (let i = p.lines.length - 1; i >= 0; i--) {
    const m = /^entries (\d+)$/.exec(p.lines[i]!);
    if (m) return Number(m[1]);
  }
  return 0;
}
