// The verdict's states on a real Node program (test/fixtures/programs/verdict-patterns.js), watched by the daemon
// through its inspector. Count-driven: the test advances the program one step, then takes one dump, so what each
// dump sees does not depend on scheduling. Timed (the warm-up): the program's cache fills for 24 s from its start, so
// a 30 s warm-up from the first dump always covers it, however late the dumps come.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { waitFor } from "../helpers/env.js";

const PROGRAM = path.resolve(__dirname, "../fixtures/programs/verdict-patterns.js");
let daemon: Daemon | undefined;
let dataDir: string | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  child?.kill("SIGKILL");
  child = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
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
async function launch(mode: "steps" | "timed", env: Record<string, string> = {}): Promise<{ lines: string[]; next: (re: RegExp) => Promise<string> }> {
  const port = await freePort();
  child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, PROGRAM, mode], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
  let seen = 0;
  const next = (re: RegExp) =>
    waitFor(
      async () => {
        for (; seen < lines.length; seen++) if (re.test(lines[seen]!)) return lines[seen++]!;
        return undefined;
      },
      20_000,
      `a line matching ${re}`,
    );
  await next(/^ready$/);
  return { lines, next };
}

async function watch(argv: string[]): Promise<Daemon> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-verdict-"));
  const config = loadConfig(
    parseCli(["--data-dir", dataDir, "--pid", String(child!.pid), "--name", "app", "--min-growth", "1k", "--discovery-interval", "300ms", ...argv]),
    {},
  );
  daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }));
  await daemon.start({ listen: false });
  return daemon;
}

const stateOf = (d: Daemon, type: string) => d.heaps.view("app")?.verdictOf(type)?.state;

describe("verdict states on a real Node program", () => {
  it("a leak that frees 40% once stays leaking at every dump after it was first flagged; a filling cache leaves leaking within 3 dumps of its plateau", async () => {
    const p = await launch("steps", { PER_STEP: "3000", RELEASE_AT: "14", FILL_STEPS: "12" });
    // No scheduled dump during the test: every dump is the test's.
    const d = await watch(["--dump-every", "1h"]);
    await waitFor(async () => d.heaps.view("app") !== undefined, 20_000, "the heap source");
    const leak: string[] = [];
    const cache: string[] = [];
    for (let step = 1; step <= 28; step++) {
      child!.stdin!.write("step\n");
      await p.next(new RegExp(`^step ${step}$`));
      const outcome = await d.heaps.dumpNow("app", "test")!;
      expect(outcome.result, JSON.stringify(outcome)).toBe("success");
      leak.push(stateOf(d, "ReleasingLeak") ?? "-");
      cache.push(stateOf(d, "FillingCache") ?? "-");
    }
    const what = `ReleasingLeak: ${leak.join(" ")}\nFillingCache: ${cache.join(" ")}`;
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
    // The metrics say the same.
    const view = d.heaps.view("app")!;
    expect(view.suspects.map((v) => v.type)).toContain("ReleasingLeak");
    expect(view.suspects.map((v) => v.type)).not.toContain("FillingCache");
  }, 120_000);

  it("a cache that fills for 24 s is never flagged with --warmup 30s", async () => {
    const p = await launch("timed");
    const d = await watch(["--dump-every", "2s", "--warmup", "30s"]);
    const states: string[] = [];
    const off = d.heaps.on("dump", (e) => {
      if (e.outcome.result === "success") states.push(e.view.verdictOf("FillingCache")?.state ?? "-");
    });
    await p.next(/^full$/);
    // Until 6 dumps after the warm-up has ended: by then the window's evidence alone would have flagged it.
    const first = await waitFor(async () => d.store.list("app")[0], 20_000, "the first dump");
    await waitFor(
      async () => {
        const after = d.store.list("app").filter((h) => h.time >= first.time + 30_000);
        return after.length >= 6;
      },
      90_000,
      "six dumps after the warm-up",
    );
    await d.heaps.settled();
    off();
    expect(states.length).toBeGreaterThan(10);
    expect(states.includes("leaking"), states.join(" ")).toBe(false);
    expect(d.heaps.view("app")!.suspects).toEqual([]);
  }, 150_000);
});
