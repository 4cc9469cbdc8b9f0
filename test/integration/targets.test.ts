// Following targets for real: a --match target across a restart, a launched target with --restart, a --pid
// target that exits, and a --cgroup target summing its processes.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmdirSync, writeFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { memoryCgroupUnavailable, skipReason, waitFor } from "../helpers/env.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { value } from "../helpers/metrics.js";

const idle = path.resolve(__dirname, "../fixtures/programs/idle.js");
const children: ChildProcess[] = [];
let d: TestDaemon | undefined;

function startIdle(marker: string): ChildProcess {
  const c = spawn(process.execPath, [idle, marker], { stdio: "ignore" });
  children.push(c);
  return c;
}

async function kill(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once("exit", r));
  c.kill("SIGKILL");
  await gone;
}

afterEach(async () => {
  await d?.stop();
  d = undefined;
  for (const c of children.splice(0)) await kill(c);
});

describe("target discovery", () => {
  it("follows a --match target across a restart under the same label and counts the restart", async () => {
    const marker = `lw-match-${process.pid}-${Date.now()}`;
    const first = startIdle(marker);
    d = await startDaemon(["--match", marker, "--name", "svc", "--discovery-interval", "200ms"]);
    let s = await waitFor(
      async () => {
        const s = await d!.scrape();
        return value(s, "leakwatch_target_up", { target: "svc" }) === 1 ? s : undefined;
      },
      5000,
      "the match target up",
    );
    expect(s.find((x) => x.name === "leakwatch_target_info")?.labels.pid).toBe(String(first.pid));
    expect(value(s, "leakwatch_target_restarts_total", { target: "svc" })).toBe(0);
    expect(value(s, "leakwatch_target_resident_memory_bytes", { target: "svc" })).toBeGreaterThan(1e6);

    await kill(first);
    s = await waitFor(
      async () => {
        const s = await d!.scrape();
        return value(s, "leakwatch_target_up", { target: "svc" }) === 0 ? s : undefined;
      },
      5000,
      "the target down",
    );
    expect(value(s, "leakwatch_target_resident_memory_bytes", { target: "svc" })).toBeUndefined();

    const second = startIdle(marker);
    s = await waitFor(
      async () => {
        const s = await d!.scrape();
        return value(s, "leakwatch_target_up", { target: "svc" }) === 1 ? s : undefined;
      },
      5000,
      "the target back",
    );
    expect(s.find((x) => x.name === "leakwatch_target_info")?.labels.pid).toBe(String(second.pid));
    expect(value(s, "leakwatch_target_restarts_total", { target: "svc" })).toBe(1);
  });

  it("marks a --pid target down when it exits and never mistakes a reused pid for it", async () => {
    const c = startIdle("lw-pid-test");
    d = await startDaemon(["--pid", String(c.pid), "--discovery-interval", "200ms"]);
    const t = d.daemon.targets.targets[0]!;
    expect(t.name).toBe(`pid-${c.pid}`);
    expect((await d.scrape()).find((x) => x.name === "leakwatch_target_up")?.value).toBe(1);
    // Same pid, different start time: what a reused pid looks like.
    t.main = { pid: t.main!.pid, startTime: t.main!.startTime - 1 };
    const s = await d.scrape();
    expect(value(s, "leakwatch_target_up", { target: t.name })).toBe(0);
    expect(value(s, "leakwatch_target_resident_memory_bytes", { target: t.name })).toBeUndefined();
  });

  it("relaunches a launched command with --restart and counts the restart", async () => {
    d = await startDaemon(["--restart", "--name", "flaky", "--", process.execPath, "-e", "setTimeout(() => process.exit(3), 300)"]);
    const s = await waitFor(
      async () => {
        const s = await d!.scrape();
        return (value(s, "leakwatch_target_restarts_total", { target: "flaky" }) ?? 0) >= 1 ? s : undefined;
      },
      10_000,
      "a restart",
    );
    expect(value(s, "leakwatch_target_last_exit_code", { target: "flaky" })).toBe(3);
  });

  it("exits with the launched command's code after --linger", async () => {
    d = await startDaemon(["--linger", "300ms", "--", process.execPath, "-e", "process.exit(7)"]);
    const started = Date.now();
    expect(await d.exited).toBe(7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  const noCgroup = memoryCgroupUnavailable();
  it.skipIf(skipReason("--cgroup target", noCgroup))("sums the processes of a --cgroup target", async () => {
    const own = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((l) => /:memory:/.test(l))!
      .split(":")[2]!;
    const dir = path.join("/sys/fs/cgroup/memory", own, `lw-test-${process.pid}`);
    mkdirSync(dir);
    try {
      const a = startIdle("lw-cg-a");
      const b = startIdle("lw-cg-b");
      writeFileSync(path.join(dir, "cgroup.procs"), String(a.pid));
      writeFileSync(path.join(dir, "cgroup.procs"), String(b.pid));
      d = await startDaemon(["--cgroup", dir, "--name", "box", "--discovery-interval", "200ms"]);
      const s = await d.scrape();
      expect(value(s, "leakwatch_target_up", { target: "box" })).toBe(1);
      expect(value(s, "leakwatch_target_processes", { target: "box" })).toBe(2);
      const info = s.find((x) => x.name === "leakwatch_cgroup_info");
      expect(info?.labels).toMatchObject({ target: "box", version: "1", path: path.join(own, `lw-test-${process.pid}`) });
      await d.stop();
      d = undefined;
    } finally {
      for (const c of children.splice(0)) await kill(c);
      rmdirSync(dir);
    }
  });
});
