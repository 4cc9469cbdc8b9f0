// The heart of leakwatch, for real: a JVM and a Node program, each with one leaking type and stable ones, run
// under the daemon with dumps every couple of seconds. The leaking type must become a suspect within 8 dumps;
// the stable types never may.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import type { TypeVerdict } from "../../src/analysis/index.js";
import { parseExposition, value } from "../helpers/metrics.js";
import { skipReason, waitFor, which } from "../helpers/env.js";
import { buildTargets, dotnetMissing, DotnetTarget, NS } from "./runtimes/dotnet/helpers.js";

const targets = path.resolve(__dirname, "../fixtures/targets");
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

async function run(argv: string[]): Promise<Daemon> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-e2e-"));
  const config = loadConfig(parseCli(["--data-dir", dataDir, "--dump-every", "2s", "--min-growth", "1k", "--discovery-interval", "300ms", ...argv]), {});
  daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }));
  await daemon.start({ listen: false });
  return daemon;
}

const MAX_DUMPS = 14;

/** Waits until `leaking` is a suspect, checking after every dump that no stable type ever is. */
async function watchVerdicts(d: Daemon, target: string, leaking: string, stable: string[]): Promise<{ dumps: number; verdicts: TypeVerdict[] }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const verdicts = (await request(d.app).get(`/api/v1/targets/${target}/suspects?all=1`).expect(200)).body as TypeVerdict[];
    for (const s of stable) expect(verdicts.find((v) => v.type === s)?.suspect ?? false, `${s} must not be a suspect`).toBe(false);
    const dumps = d.store.list(target).length;
    if (verdicts.find((v) => v.type === leaking)?.suspect) return { dumps, verdicts };
    // A verdict needs 6 dumps; a target starved by a busy machine leaks less between two of them, so allow twice that.
    expect(dumps, `${leaking} not a suspect after ${dumps} dumps`).toBeLessThan(MAX_DUMPS);
    const heap = d.heaps.view(target);
    expect(Date.now(), `no verdict in time; last outcome ${JSON.stringify(heap?.lastOutcome ?? null)}`).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Leak {
  root: string;
  retainedBytes: number;
  members: { type: string }[];
  path: { type: string; edge: string }[];
  accumulationPoint: string | null;
}

/** Waits for the retention analysis (it follows the first suspect, on the next dump) to name a leak rooted at `root`. */
async function waitForLeak(d: Daemon, target: string, root: string): Promise<Leak> {
  return waitFor(
    async () => {
      const leaks = (await request(d.app).get(`/api/v1/targets/${target}/leaks`).expect(200)).body as Leak[];
      return leaks.find((l) => l.root === root);
    },
    90_000,
    `a leak rooted at ${root} (last outcome ${JSON.stringify(d.heaps.view(target)?.lastOutcome ?? null)}, retention ${JSON.stringify(d.heaps.view(target)?.retentionRuns)})`,
  );
}

const noJava = which("java") && which("jcmd") ? null : "java/jcmd not installed";
describe.skipIf(skipReason("JVM end-to-end", noJava))("JVM target under leakwatch", () => {
  it("finds LeakyCache$Entry growing and leaves StableA/StableB alone", async () => {
    const d = await run(["--name", "jvm", "--", "java", "-Xmx256m", path.join(targets, "Leak.java"), "20"]);
    const { dumps } = await watchVerdicts(d, "jvm", "LeakyCache$Entry", ["StableA", "StableB"]);
    expect(dumps).toBeLessThanOrEqual(MAX_DUMPS);
    const s = parseExposition((await request(d.app).get("/metrics")).text);
    expect(value(s, "leakwatch_target_info", { target: "jvm" })).toBe(1);
    expect(s.find((x) => x.name === "leakwatch_target_info")!.labels.runtime).toBe("jvm");
    expect(value(s, "leakwatch_heap_type_leak_suspect", { target: "jvm", heap_type: "LeakyCache$Entry" })).toBe(1);
    expect(value(s, "leakwatch_heap_type_objects", { target: "jvm", heap_type: "StableA" })).toBe(100);

    // Then the dump after the first suspect is an HPROF (the JVM paused for it), and the leak is named with its owner:
    // the entries pile up in the static list's array, reached through the list's elementData.
    const leak = await waitForLeak(d, "jvm", "LeakyCache$Entry");
    expect(leak.accumulationPoint).toBe("java.lang.Object[]");
    // The shortest path: the static field, or the main thread's local while it holds the list's lock.
    expect(leak.path.map((p) => p.edge).join(" ")).toMatch(/ENTRIES|stack local/);
    expect(leak.path.map((p) => p.edge)).toContain("elementData");
    expect(leak.path.at(-1)!.type).toBe("LeakyCache$Entry");
    expect(leak.retainedBytes).toBeGreaterThan(0);
    const after = parseExposition((await request(d.app).get("/metrics")).text);
    expect(value(after, "leakwatch_leak_suspect", { target: "jvm", heap_type: "LeakyCache$Entry" })).toBe(1);
    expect(after.some((x) => x.name === "leakwatch_heap_dump_duration_seconds" && x.labels.kind !== undefined)).toBe(true);
    expect(d.store.list("jvm").some((h) => (h as { kind?: string }).kind === "hprof")).toBe(true);
  }, 240_000);
});

describe("Node target under leakwatch", () => {
  it("snapshots a launched Node program by signal and finds LeakyThing", async () => {
    const d = await run(["--name", "node", "--", process.execPath, path.join(targets, "leaky.js"), "10"]);
    await watchVerdicts(d, "node", "LeakyThing", ["StableThing", "StableOther"]);
    const latest = d.store.list("node").at(-1)!;
    expect(latest.source).toBe("v8");
    expect((await d.store.read("node", latest.id))!.types.find((t) => t.type === "StableThing")?.count).toBe(100);
    expect(d.heaps.view("node")!.counts.failure).toBeUndefined();
  }, 120_000);

  it("snapshots a Node program it did not launch through its inspector, found by --pid", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    child = spawn(process.execPath, [`--inspect=127.0.0.1:${port}`, path.join(targets, "leaky.js"), "10"], { stdio: ["pipe", "pipe", "pipe"] });
    await waitFor(async () => child!.pid !== undefined, 5000, "spawn");
    const d = await run(["--pid", String(child.pid), "--name", "insp"]);
    await watchVerdicts(d, "insp", "LeakyThing", ["StableThing", "StableOther"]);
    expect(d.store.list("insp").at(-1)!.source).toBe("v8");
  }, 120_000);
});

const noDotnet = dotnetMissing();
describe.skipIf(skipReason(".NET end-to-end", noDotnet))(".NET target under leakwatch (native EventPipe source)", () => {
  let target: DotnetTarget | undefined;
  afterEach(async () => {
    await target?.kill();
    target = undefined;
  });

  it("finds LeakySession growing with no .NET tools installed, and serves the runtime's counters", async () => {
    const dll = buildTargets();
    target = await DotnetTarget.start(dll, "leak");
    target.proc.stdin!.write("auto 100\n");
    const d = await run(["--pid", String(target.pid), "--name", "pwsh"]);
    await watchVerdicts(d, "pwsh", `${NS}LeakySession`, [`${NS}TransientSession`]);
    expect(d.store.list("pwsh").at(-1)!.source).toBe("dotnet");
    const s = await waitFor(
      async () => {
        const s = parseExposition((await request(d.app).get("/metrics")).text);
        return value(s, "leakwatch_dotnet_counters_up", { target: "pwsh" }) === 1 && value(s, "leakwatch_dotnet_gc_heap_size_bytes", { target: "pwsh" })
          ? s
          : undefined;
      },
      30_000,
      "the .NET counters",
    );
    expect(value(s, "leakwatch_dotnet_gc_heap_size_bytes", { target: "pwsh" })).toBeGreaterThan(100_000);
    expect(s.find((x) => x.name === "leakwatch_target_info")!.labels.runtime).toBe("dotnet");
    // The next dump's heap walk carries the graph: the leak is rooted at LeakySession.
    const leak = await waitForLeak(d, "pwsh", `${NS}LeakySession`);
    expect(leak.retainedBytes).toBeGreaterThan(0);
    expect(leak.path.at(-1)!.type).toBe(`${NS}LeakySession`);
  }, 280_000);
});
