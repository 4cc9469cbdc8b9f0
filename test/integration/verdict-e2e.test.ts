// The verdict's states on a real Node program (test/fixtures/programs/verdict-patterns.js), watched by the daemon
// through its inspector. Count-driven: the test advances the program one step, then takes one dump, so what each
// dump sees does not depend on scheduling; and the clock the daemon reads moves on a fixed 30 s per step, as a
// steady load's would, so the slopes do not depend on how long each dump took on a busy machine either (a dump that
// took 4× longer than the ones the leak was proven at once made a real leak look settled). Timed (the warm-up): the program's cache fills for 24 s from its start, so
// a 30 s warm-up from the first dump always covers it, however late the dumps come.
import { afterEach, describe, expect, it, vi } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { skipReason, waitFor, which } from "../helpers/env.js";
import { buildTargets, dotnetMissing, DotnetTarget, NS } from "./runtimes/dotnet/helpers.js";

const PROGRAM = path.resolve(__dirname, "../fixtures/programs/verdict-patterns.js");
const JAVA_PROGRAM = path.resolve(__dirname, "../fixtures/targets/VerdictPatterns.java");
const daemons: Daemon[] = [];
const dataDirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The program with its inspector open, and its stdout lines as they come. */
type Launched = { child: ChildProcess; next: (re: RegExp, timeoutMs?: number) => Promise<string> };

async function launch(mode: "steps" | "timed", env: Record<string, string> = {}): Promise<Launched> {
  const port = await freePort();
  return start(process.execPath, [`--inspect=127.0.0.1:${port}`, PROGRAM, mode], env);
}

async function start(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Launched> {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
  let seen = 0;
  const next = (re: RegExp, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        for (; seen < lines.length; seen++) if (re.test(lines[seen]!)) return lines[seen++]!;
        return undefined;
      },
      timeoutMs,
      `a line matching ${re}`,
    );
  await next(/^ready$/, 60_000);
  return { child, next };
}

async function watch(child: { pid?: number }, argv: string[]): Promise<Daemon> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-verdict-"));
  dataDirs.push(dataDir);
  const config = loadConfig(
    parseCli(["--data-dir", dataDir, "--pid", String(child.pid), "--name", "app", "--min-growth", "1k", "--discovery-interval", "300ms", ...argv]),
    {},
  );
  const daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }));
  daemons.push(daemon);
  await daemon.start({ listen: false });
  return daemon;
}

/** How far the daemon's clock moves on per step in the count-driven tests (far more than a dump takes). */
const STEP_MS = 30_000;

const stateOf = (d: Daemon, type: string) => d.heaps.view("app")?.verdictOf(type)?.state;

/**
 * Steps the program 22 times with one dump after each: ReleasingLeak grows and frees 40% at step 14, FillingCache fills
 * for 12 steps, then stays flat.
 */
async function countDriven(
  p: { child: { pid?: number } },
  step: (n: number) => Promise<void>,
  leakType = "ReleasingLeak",
  cacheType = "FillingCache",
): Promise<void> {
  // No scheduled dump during the test: every dump is the test's.
  const d = await watch(p.child, ["--dump-every", "1h"]);
  await waitFor(async () => d.heaps.view("app") !== undefined, 30_000, "the heap source");
  const leak: string[] = [];
  const cache: string[] = [];
  // The steps' clock: real time plus 30 s per step, moved on only between dumps (nothing times out across a step).
  const realNow = Date.now.bind(Date);
  let ahead = 0;
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + ahead);
  for (let n = 1; n <= 22; n++) {
    ahead += STEP_MS;
    await step(n);
    const outcome = await d.heaps.dumpNow("app", "test")!;
    expect(outcome.result, JSON.stringify(outcome)).toBe("success");
    leak.push(stateOf(d, leakType) ?? "-");
    cache.push(stateOf(d, cacheType) ?? "-");
  }
  const what = `${leakType}: ${leak.join(" ")}\n${cacheType}: ${cache.join(" ")}`;
  // The leak: flagged before its release (step 14), and never anything else from then on.
  const first = leak.indexOf("leaking");
  expect(first, what).toBeGreaterThanOrEqual(0);
  expect(first, what).toBeLessThan(13);
  expect(
    leak.slice(first).every((s) => s === "leaking"),
    what,
  ).toBe(true);
  // The cache: filled at steps 1–12 (dumps 0–11), flat from dump 11 on; leaking while it filled, not from 3 flat
  // steps after (dump 14) on.
  expect(cache.slice(0, 12).includes("leaking"), what).toBe(true);
  expect(cache.slice(14).includes("leaking"), what).toBe(false);
  expect(cache[14], what).toBe("settling");
  const view = d.heaps.view("app")!;
  expect(view.suspects.map((v) => v.type)).toContain(leakType);
  expect(view.suspects.map((v) => v.type)).not.toContain(cacheType);
}

/** The step of the Node and JVM programs: one "step" line, answered "step N". */
const stepLine = (p: Launched) => async (n: number) => {
  p.child.stdin!.write("step\n");
  await p.next(new RegExp(`^step ${n}$`));
};

const noJava = which("java") && which("jcmd") ? null : "java/jcmd not installed";
describe.skipIf(skipReason("JVM verdict end-to-end", noJava))("verdict states on a real JVM program", () => {
  it("a leak that frees 40% once stays leaking; a filling cache leaves leaking within 3 dumps of its plateau", async () => {
    const p = await start("java", ["-Xmx256m", JAVA_PROGRAM, "3000", "14", "12"]);
    await countDriven(p, stepLine(p));
  }, 150_000);
});

const noDotnet = dotnetMissing();
describe.skipIf(skipReason(".NET verdict end-to-end", noDotnet))("verdict states on a real .NET program", () => {
  let target: DotnetTarget | undefined;
  afterEach(async () => {
    await target?.kill();
    target = undefined;
  });

  it("a leak that frees 40% once stays leaking; a filling cache leaves leaking within 3 dumps of its plateau", async () => {
    target = await DotnetTarget.start(buildTargets(), "leak");
    const t = target;
    const step = async (n: number) => {
      await t.command("iterate 300");
      if (n === 14) await t.command("release 40");
      if (n <= 12) await t.command("fill 3000");
    };
    await countDriven({ child: { pid: t.pid } }, step, `${NS}LeakySession`, `${NS}FillingEntry`);
  }, 240_000);
});

describe("verdict states on a real Node program", () => {
  it("a leak that frees 40% once stays leaking at every dump after it was first flagged; a filling cache leaves leaking within 3 dumps of its plateau", async () => {
    const p = await launch("steps", { PER_STEP: "3000", RELEASE_AT: "14", FILL_STEPS: "12" });
    await countDriven(p, stepLine(p));
  }, 120_000);

  it("a cache that fills for 24 s: never flagged with --warmup 30s; without, not leaking from 3 dumps after its plateau on", async () => {
    const [warm, bare] = await Promise.all([launch("timed"), launch("timed")]);
    const dWarm = await watch(warm.child, ["--dump-every", "2s", "--warmup", "30s"]);
    const dBare = await watch(bare.child, ["--dump-every", "2s"]);
    const record = (d: Daemon) => {
      const states: string[] = [];
      const outcomes: string[] = [];
      d.heaps.on("dump", (e) => {
        outcomes.push(`${e.outcome.result}${e.outcome.reason ? `:${e.outcome.reason}` : ""}`);
        if (e.outcome.result === "success") states.push(e.view.verdictOf("FillingCache")?.state ?? "-");
      });
      return { states, outcomes };
    };
    const rWarm = record(dWarm);
    const rBare = record(dBare);
    const why = (r: { outcomes: string[] }, d: Daemon) =>
      `outcomes: ${r.outcomes.join(" ")}; dump seconds: ${d.store.list("app").map((h) => h.durationSeconds.toFixed(1))}`;

    // Without a warm-up: the dumps stored once "full" is printed, the first of which may have started before it.
    await bare.next(/^full$/, 60_000);
    const atFull = rBare.states.length;
    await waitFor(async () => rBare.states.length >= atFull + 6, 60_000, "six dumps after the plateau").catch((err: Error) => {
      throw new Error(`${err.message}; ${why(rBare, dBare)}`);
    });
    // With 8 dumps or more during the fill the window alone proves it: leaking then (what --warmup hides below).
    if (atFull >= 8) expect(rBare.states.slice(0, atFull).includes("leaking"), rBare.states.join(" ")).toBe(true);
    // One dump that may straddle the plateau's start, then three flat ones: from there on never leaking.
    expect(rBare.states.slice(atFull + 3).includes("leaking"), rBare.states.join(" ")).toBe(false);

    // With --warmup 30s: until 6 dumps after the warm-up has ended (by then the window alone would have flagged it).
    const first = dWarm.store.list("app")[0]!;
    await waitFor(async () => dWarm.store.list("app").filter((h) => h.time >= first.time + 30_000).length >= 6, 90_000, "six dumps after the warm-up").catch(
      (err: Error) => {
        throw new Error(`${err.message}; ${why(rWarm, dWarm)}`);
      },
    );
    await dWarm.heaps.settled();
    expect(rWarm.states.length).toBeGreaterThan(10);
    expect(rWarm.states.includes("leaking"), rWarm.states.join(" ")).toBe(false);
    expect(dWarm.heaps.view("app")!.suspects).toEqual([]);
    expect(dWarm.heaps.view("app")!.stateCounts.leaking).toBe(0);
  }, 180_000);
});
