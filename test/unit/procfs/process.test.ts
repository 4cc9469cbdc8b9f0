import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ProcFs, sameProcess } from "../../../src/procfs/process.js";
import { bootTimeSeconds, clockTicksPerSecond } from "../../../src/procfs/system.js";

const FIXTURE_ROOT = fileURLToPath(new URL("../../fixtures/procfs/proc", import.meta.url));

describe("ProcFs on a fixture /proc", () => {
  const proc = new ProcFs(FIXTURE_ROOT);

  it("pids: numeric entries only", async () => {
    expect((await proc.pids()).sort((a, b) => a - b)).toEqual([77, 4242, 4243, 4244]);
  });

  it("stat, memory, pss, oom_score, cgroup of a node process", async () => {
    expect(await proc.stat(4242)).toEqual({
      pid: 4242,
      comm: "node",
      state: "S",
      ppid: 4200,
      flags: 4194560,
      utime: 1520,
      stime: 305,
      startTime: 889412,
      vsize: 1143873536,
      rssPages: 51234,
    });
    expect((await proc.memory(4242)).rss).toBe(204936 * 1024);
    expect(await proc.pss(4242)).toBe(190123 * 1024);
    expect(await proc.oomScore(4242)).toBe(666);
    expect(await proc.cgroupFile(4242)).toBe("0::/system.slice/app.service\n");
  });

  it("cmdline: NULs become spaces, the trailing NUL goes; empty for kernel threads and zombies", async () => {
    expect(await proc.cmdline(4242)).toBe("node server.js --port 8080");
    expect(await proc.cmdline(4244)).toBe("(sd-pam)");
    expect(await proc.cmdline(77)).toBe("");
    expect(await proc.cmdline(4243)).toBe("");
  });

  it("awkward comms read from files: `a) b (c` and `(sd-pam)`", async () => {
    expect(await proc.stat(4243)).toMatchObject({ comm: "a) b (c", state: "Z", ppid: 4242, startTime: 889500 });
    expect(await proc.stat(4244)).toMatchObject({ comm: "(sd-pam)", state: "S", ppid: 1, startTime: 1200 });
  });

  it("identity: undefined for a process that is exiting (PF_EXITING: its sockets may be closed, it is not a zombie yet)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "lw-proc-"));
    try {
      const line = readFileSync(path.join(FIXTURE_ROOT, "4242/stat"), "utf8");
      for (const [pid, flags] of [
        [10, 4194560],
        [11, 4194560 | 0x4],
      ] as const) {
        mkdirSync(path.join(root, String(pid)));
        const f = line.split(" ");
        f[8] = String(flags);
        writeFileSync(path.join(root, `${pid}/stat`), f.join(" "));
      }
      const p = new ProcFs(root);
      expect(await p.identity(10)).toEqual({ pid: 10, startTime: 889412 });
      expect(await p.identity(11)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("identity: pid + start time; undefined for a zombie or a missing pid", async () => {
    expect(await proc.identity(4242)).toEqual({ pid: 4242, startTime: 889412 });
    expect(await proc.identity(77)).toEqual({ pid: 77, startTime: 210 });
    expect(await proc.identity(4243)).toBeUndefined();
    expect(await proc.identity(99999)).toBeUndefined();
  });

  it("a missing process rejects for the raw readers", async () => {
    await expect(proc.stat(99999)).rejects.toThrow(/ENOENT/);
    await expect(proc.memory(99999)).rejects.toThrow(/ENOENT/);
  });

  it("bootTimeSeconds reads btime from <root>/stat; a stat without btime throws", () => {
    expect(bootTimeSeconds(FIXTURE_ROOT)).toBe(1795314580);
    expect(() => bootTimeSeconds(FIXTURE_ROOT + "/4242")).toThrow(/no btime/);
  });
});

describe("sameProcess", () => {
  it("needs both pid and start time to match", () => {
    expect(sameProcess({ pid: 1, startTime: 5 }, { pid: 1, startTime: 5 })).toBe(true);
    expect(sameProcess({ pid: 1, startTime: 5 }, { pid: 1, startTime: 6 })).toBe(false); // pid reused
    expect(sameProcess({ pid: 1, startTime: 5 }, { pid: 2, startTime: 5 })).toBe(false);
    expect(sameProcess(undefined, { pid: 1, startTime: 5 })).toBe(false);
    expect(sameProcess({ pid: 1, startTime: 5 }, undefined)).toBe(false);
    expect(sameProcess(undefined, undefined)).toBe(false);
  });
});

describe("ProcFs on the real /proc (this test process)", () => {
  const proc = new ProcFs();

  it("stat of our own pid: pid, ppid, a live state, a start time that matches our age", async () => {
    const s = await proc.stat(process.pid);
    expect(s.pid).toBe(process.pid);
    expect(s.ppid).toBe(process.ppid);
    expect(s.comm.length).toBeGreaterThan(0);
    expect(s.comm.length).toBeLessThanOrEqual(15);
    expect(["R", "S", "D"]).toContain(s.state);
    expect(Number.isSafeInteger(s.startTime)).toBe(true);
    expect(s.startTime).toBeGreaterThan(0);
    expect(s.vsize).toBeGreaterThan(0);
    expect(s.rssPages).toBeGreaterThan(0);

    // Seconds since boot when we started, against /proc/uptime and Node's own idea of its age.
    const ticks = clockTicksPerSecond();
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const startedAfterBoot = s.startTime / ticks;
    expect(startedAfterBoot).toBeLessThanOrEqual(uptime);
    expect(Math.abs(uptime - startedAfterBoot - process.uptime())).toBeLessThan(5);
    // And as wall-clock time via btime.
    const startedAt = bootTimeSeconds() + startedAfterBoot;
    expect(Math.abs(startedAt - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
  });

  it("identity of our own pid matches the stat start time and is stable", async () => {
    const a = await proc.identity(process.pid);
    const b = await proc.identity(process.pid);
    expect(a?.pid).toBe(process.pid);
    expect(sameProcess(a, b)).toBe(true);
    expect(a!.startTime).toBe((await proc.stat(process.pid)).startTime);
  });

  it("our own memory from status: RSS > 0 and the peak at least the current RSS", async () => {
    const m = await proc.memory(process.pid);
    expect(m.rss).toBeGreaterThan(0);
    expect(m.rssPeak).toBeGreaterThanOrEqual(m.rss!);
    expect(m.virtual).toBeGreaterThan(m.rss!);
  });

  it("our own pid is listed and our cmdline names node", async () => {
    expect(await proc.pids()).toContain(process.pid);
    expect(await proc.cmdline(process.pid)).toMatch(/node/);
  });

  it("clockTicksPerSecond is a positive integer (100 on Linux)", () => {
    const t = clockTicksPerSecond();
    expect(Number.isInteger(t) && t > 0).toBe(true);
  });
});
