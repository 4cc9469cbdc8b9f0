// Nothing left behind (issue 12, item 5), with the built CLI and real processes: leakwatch is stopped (SIGSTOP) at
// a moment a heap snapshot it asked for is on disk — so the dump is certainly in flight, without relying on timing —
// and then killed or signalled. A launched target must not outlive it, its memory cgroup must go, and the raw
// snapshot must be removed: on SIGTERM by leakwatch itself, after SIGKILL by its next start with the same --data-dir.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN } from "../helpers/cli.js";
import { memoryCgroupUnavailable, skipReason, sleep, waitFor } from "../helpers/env.js";

const noCgroup = memoryCgroupUnavailable();
const SNAPSHOT = /^Heap\.\d{8}\.\d{6}\.(\d+)\.\d+\.(\d+)\.heapsnapshot$/;
/**
 * The target: enough plain objects that V8 takes a while over each snapshot (a dump is then easy to catch in
 * flight). It ignores stdin, so that nothing but what is tested ends it (a target reading leakwatch's stdin would
 * see it close when leakwatch dies, and exit by itself).
 */
const PROGRAM = "globalThis.ballast = Array.from({ length: 300000 }, (_, i) => ({ i, s: 'b' + i })); setInterval(() => {}, 1000);";

interface Proc {
  state: string;
  ppid: number;
  startTime: number;
}

function procStat(pid: number, task?: number): Proc | undefined {
  try {
    const text = readFileSync(task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: f[0]!, ppid: Number(f[1]), startTime: Number(f[19]) };
  } catch {
    return undefined;
  }
}

/** The very process (pid and start time) still runs: not gone, not a zombie, not a reused pid. */
function running(pid: number, startTime: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s.startTime === startTime && s.state !== "Z" && s.state !== "X";
}

/** A process's children with their argv. A child forked but not yet exec'd still shows its parent's argv. */
function childrenOf(ppid: number): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const n of readdirSync("/proc")) {
    if (!/^\d+$/.test(n) || procStat(Number(n))?.ppid !== ppid) continue;
    try {
      out.push({ pid: Number(n), argv: readFileSync(`/proc/${n}/cmdline`, "utf8").replace(/\0$/, "").split("\0") });
    } catch {
      // gone
    }
  }
  return out;
}

/** The launched target once it runs its own program (not the cgroup-joining shell, nor a fork still being leakwatch). */
const isTarget = (c: { argv: string[] }) => c.argv[0] === process.execPath && c.argv[1] === "-e" && c.argv[2] === PROGRAM;
const isWatchdog = (c: { argv: string[] }) => c.argv[0] === "/bin/sh" && c.argv[3] === "leakwatch-watchdog";

/** The cgroup leakwatch (pid) creates for target `name`: under its own memory cgroup, which is this test's. */
function createdCgroup(lwPid: number, name: string): string {
  const mount = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .find((l) => / - cgroup .*\bmemory\b/.test(l))!
    .split(" ")[4]!;
  const own = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => /:memory:/.test(l))!
    .split(":")[2]!;
  return path.join(mount, own, `leakwatch-${lwPid}-${name}`);
}

/** Everything a test started, ended in afterEach whatever happened. */
const started: { pid: number; startTime: number }[] = [];
const cgroups: string[] = [];
const dirs: string[] = [];

function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function track(pid: number | undefined): void {
  const s = pid === undefined ? undefined : procStat(pid);
  if (pid !== undefined && s) started.push({ pid, startTime: s.startTime });
}

interface Run {
  child: ChildProcess;
  pid: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** The built CLI. */
function leakwatch(args: string[]): Run {
  // Its log goes to a file: a launched target shares leakwatch's stderr, and neither may ever wait on this test.
  const logFile = path.join(tmp("lw-left-log-"), "stderr");
  const fd = openSync(logFile, "w");
  const child = spawn(process.execPath, [BIN, "--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "ignore", fd],
    env: { ...process.env, LEAKWATCH_LOG_LEVEL: process.env.LEAKWATCH_TEST_LW_LOG ?? "info" },
  });
  closeSync(fd);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  track(child.pid);
  return { child, pid: child.pid!, exit, stderr: () => readFileSync(logFile, "utf8") };
}

/** A later leakwatch with the same data dir, which launches a short-lived target and exits with it. */
async function nextStart(dataDir: string): Promise<string> {
  const r = leakwatch([
    "--linger",
    "0",
    "--heap-source",
    "none",
    "--data-dir",
    dataDir,
    "--name",
    "next",
    "--",
    process.execPath,
    "-e",
    "setTimeout(() => {}, 100)",
  ]);
  const { code } = await r.exit;
  expect(code, r.stderr()).toBe(0);
  return r.stderr();
}

/** Waits until every thread of the process is stopped: none can still be deleting a file. */
async function allStopped(pid: number): Promise<void> {
  await waitFor(
    async () => {
      const tasks = readdirSync(`/proc/${pid}/task`);
      return tasks.every((t) => procStat(pid, Number(t))?.state === "T");
    },
    10_000,
    `process ${pid} to stop`,
  );
}

/**
 * Stops leakwatch (SIGSTOP) at a moment when a snapshot it asked for is in dir: the dump is then in flight and
 * leakwatch can do nothing more about it. Returns the snapshot's path; leakwatch stays stopped.
 */
async function stopDuringDump(lw: Run, dir: string, ours: (name: string) => boolean): Promise<string> {
  const pid = lw.pid;
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    process.kill(pid, "SIGSTOP");
    await allStopped(pid);
    const name = existsSync(dir) ? readdirSync(dir).find((n) => SNAPSHOT.test(n) && ours(n)) : undefined;
    if (name !== undefined) return path.join(dir, name);
    process.kill(pid, "SIGCONT");
    await sleep(50);
  }
  const children = childrenOf(pid).map((c) => c.argv.slice(0, 2).join(" "));
  throw new Error(`no heap snapshot appeared in ${dir}; leakwatch's children: ${JSON.stringify(children)}; it said: ${lw.stderr().slice(-4000)}`);
}

/** leakwatch launching the target under a memory limit, dumping it every second; resolves with the target's pid. */
async function launchWithDumps(dataDir: string): Promise<{ lw: Run; target: { pid: number; startTime: number }; cgroup: string }> {
  const lw = leakwatch(["--memory-limit", "16g", "--dump-every", "1s", "--data-dir", dataDir, "--name", "app", "--", process.execPath, "-e", PROGRAM]);
  const cgroup = createdCgroup(lw.pid, "app");
  cgroups.push(cgroup);
  const child = await waitFor(async () => childrenOf(lw.pid).find(isTarget), 30_000, "the launched target");
  track(child.pid);
  return { lw, target: { pid: child.pid, startTime: procStat(child.pid)!.startTime }, cgroup };
}

afterEach(async () => {
  for (const p of started.splice(0)) {
    if (running(p.pid, p.startTime)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  for (const cg of cgroups.splice(0)) {
    await waitFor(
      async () => {
        try {
          rmdirSync(cg);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") return false;
        }
        return true;
      },
      10_000,
      `cgroup ${cg} to be removed`,
    ).catch(() => undefined);
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skipReason("leftovers of a launched target under --memory-limit", noCgroup))("nothing left behind by a launched target", () => {
  it("SIGKILL during a dump: the watchdog ends the target and removes its cgroup at once; the next start removes the snapshot", {
    timeout: 240_000,
  }, async () => {
    const data = tmp("lw-left-kill-");
    const { lw, target, cgroup } = await launchWithDumps(data);
    const snapshot = await stopDuringDump(lw, path.join(data, "raw", "app"), (n) => n.includes(`.${target.pid}.`));
    expect(existsSync(cgroup)).toBe(true);
    process.kill(lw.pid, "SIGKILL");
    await lw.exit;

    await waitFor(async () => !running(target.pid, target.startTime), 30_000, "the target to end with leakwatch");
    await waitFor(async () => !existsSync(cgroup), 30_000, "the cgroup to be removed");
    expect(existsSync(snapshot)).toBe(true); // only the next start can remove it

    const log = await nextStart(data);
    expect(existsSync(snapshot)).toBe(false);
    expect(readdirSync(path.join(data, "raw", "app")).filter((n) => SNAPSHOT.test(n))).toEqual([]);
    expect(readdirSync(path.join(data, "cleanup"))).toEqual([]);
    expect(log).toContain("removed what earlier leakwatch processes left behind");
  });

  it("SIGKILL of leakwatch and its watchdog: the next start ends the orphaned target and removes its cgroup and snapshot", { timeout: 240_000 }, async () => {
    const data = tmp("lw-left-orphan-");
    const { lw, target, cgroup } = await launchWithDumps(data);
    const snapshot = await stopDuringDump(lw, path.join(data, "raw", "app"), (n) => n.includes(`.${target.pid}.`));
    const dog = childrenOf(lw.pid).find(isWatchdog);
    expect(dog, "leakwatch's watchdog").toBeDefined();
    track(dog!.pid);
    process.kill(dog!.pid, "SIGKILL");
    process.kill(lw.pid, "SIGKILL");
    await lw.exit;

    // The situation the issue describes: the target orphaned, its cgroup and its snapshot left.
    await waitFor(async () => procStat(target.pid)?.ppid !== lw.pid, 10_000, "the target to be orphaned");
    expect(running(target.pid, target.startTime)).toBe(true);
    expect(existsSync(cgroup)).toBe(true);
    expect(existsSync(snapshot)).toBe(true);

    await nextStart(data);
    expect(running(target.pid, target.startTime)).toBe(false);
    expect(existsSync(cgroup)).toBe(false);
    expect(existsSync(snapshot)).toBe(false);
    expect(readdirSync(path.join(data, "cleanup"))).toEqual([]);
  });

  it("SIGTERM (Ctrl-C) during a dump: leakwatch removes the snapshot, the target and its cgroup before it exits", { timeout: 240_000 }, async () => {
    const data = tmp("lw-left-term-");
    const { lw, target, cgroup } = await launchWithDumps(data);
    const snapshot = await stopDuringDump(lw, path.join(data, "raw", "app"), (n) => n.includes(`.${target.pid}.`));
    process.kill(lw.pid, "SIGTERM"); // delivered when it continues, with the dump in flight
    process.kill(lw.pid, "SIGCONT");
    const { code } = await lw.exit;
    expect(code, lw.stderr()).toBe(143); // the target's exit code: it ended on the forwarded SIGTERM

    expect(existsSync(snapshot)).toBe(false);
    expect(readdirSync(path.join(data, "raw", "app")).filter((n) => SNAPSHOT.test(n))).toEqual([]);
    expect(running(target.pid, target.startTime)).toBe(false);
    expect(existsSync(cgroup)).toBe(false);
    expect(readdirSync(path.join(data, "cleanup"))).toEqual([]);
  });

  it("a second signal (exit at once) during a dump: the snapshot is removed on exit, the watchdog ends the target and its cgroup", {
    timeout: 240_000,
  }, async () => {
    const data = tmp("lw-left-twice-");
    const { lw, target, cgroup } = await launchWithDumps(data);
    const snapshot = await stopDuringDump(lw, path.join(data, "raw", "app"), (n) => n.includes(`.${target.pid}.`));
    // Both are pending while it is stopped: the first starts the stop, the second means now.
    process.kill(lw.pid, "SIGINT");
    process.kill(lw.pid, "SIGTERM");
    process.kill(lw.pid, "SIGCONT");
    const { code } = await lw.exit;
    expect(code, lw.stderr()).toBe(130);

    expect(existsSync(snapshot)).toBe(false);
    await waitFor(async () => !running(target.pid, target.startTime), 30_000, "the target to end");
    await waitFor(async () => !existsSync(cgroup), 30_000, "the cgroup to be removed");
    await nextStart(data);
    expect(readdirSync(path.join(data, "cleanup"))).toEqual([]);
  });

  it("on start, removes empty cgroups and raw files named by a leakwatch that is gone, and nothing of a live one", { timeout: 120_000 }, async () => {
    const data = tmp("lw-left-sweep-");
    const dead = Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim()); // exited and reaped
    const stale = createdCgroup(dead, "old");
    const live = createdCgroup(process.pid, "busy"); // this test process plays a leakwatch that still runs
    for (const cg of [stale, live]) {
      mkdirSync(cg);
      cgroups.push(cg);
    }
    const raw = path.join(data, "raw", "app");
    mkdirSync(raw, { recursive: true });
    const staleRaw = path.join(raw, `leakwatch-42-20260101T120000-${dead}-abc123.gcdump`);
    const liveRaw = path.join(raw, `leakwatch-42-20260101T120000-${process.pid}-abc123.gcdump`);
    for (const f of [staleRaw, liveRaw]) writeFileSync(f, "heap", { mode: 0o600 });

    await nextStart(data);
    expect([existsSync(stale), existsSync(staleRaw)]).toEqual([false, false]);
    expect([existsSync(live), existsSync(liveRaw)]).toEqual([true, true]);
  });
});

describe("nothing left behind by a --pid target's dumps", () => {
  it("SIGKILL during a dump: the next start deletes the snapshot leakwatch caused in the target's directory, and no other", { timeout: 240_000 }, async () => {
    const cwd = tmp("lw-left-pid-target-");
    const data = tmp("lw-left-pid-data-");
    const target = spawn(process.execPath, ["--heapsnapshot-signal=SIGUSR2", "-e", `${PROGRAM} process.stdout.write("ready\\n");`], {
      cwd,
      stdio: ["ignore", "pipe", "ignore"],
    });
    track(target.pid);
    await new Promise<void>((resolve) => target.stdout!.once("data", () => resolve()));
    const pid = target.pid!;
    // The target's own snapshots, there before leakwatch: not leakwatch's to delete.
    const own = [
      `Heap.20200101.000000.${pid}.0.001.heapsnapshot`,
      `Heap.20200101.000000.${pid}.0.002.heapsnapshot`,
      "Heap.20200101.000000.1.0.001.heapsnapshot",
    ];
    for (const n of own) writeFileSync(path.join(cwd, n), "theirs");

    const lw = leakwatch(["--pid", String(pid), "--dump-every", "1s", "--data-dir", data, "--name", "svc"]);
    const snapshot = await stopDuringDump(lw, cwd, (n) => n.includes(`.${pid}.`) && !own.includes(n));
    process.kill(lw.pid, "SIGKILL");
    await lw.exit;
    // One more, written after leakwatch died (someone else's request): not leakwatch's either.
    const later = `Heap.20990101.000000.${pid}.0.999.heapsnapshot`;
    writeFileSync(path.join(cwd, later), "theirs");
    expect(existsSync(snapshot)).toBe(true);

    await nextStart(data);
    expect(existsSync(snapshot)).toBe(false);
    expect(readdirSync(cwd).sort()).toEqual([...own, later].sort());
    expect(running(pid, procStat(pid)!.startTime)).toBe(true); // a --pid target is never leakwatch's to end
  });
});
