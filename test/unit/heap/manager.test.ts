// The heap manager as its readers see it: the runtime it recognised for each target (what
// leakwatch_target_info{runtime} shows), the current views, and one "dump" subscription that covers targets
// which get their heap source only later.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../../src/config/load.js";
import { HeapManager, type ChooseSource } from "../../../src/heap/manager.js";
import type { DumpEvent } from "../../../src/heap/state.js";
import { DumpStore } from "../../../src/heap/store.js";
import type { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";
import { Target } from "../../../src/targets/target.js";
import { waitFor } from "../../helpers/env.js";
import { scriptedSource } from "../../helpers/scripted-source.js";

const logger = pino({ level: "silent" });
const proc = { memory: async () => ({ rss: 1 }), stat: async () => ({ utime: 0, stime: 0, startTime: 1 }), oomScore: async () => 0 } as unknown as ProcFs;
let dir: string;
let heaps: HeapManager | undefined;
afterEach(async () => {
  heaps?.stop();
  heaps = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function setup(chooseSource: ChooseSource) {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-heaps-"));
  const config = loadConfig(parseCli(["--pid", String(process.pid), "--name", "a", "--data-dir", dir, "--discovery-interval", "100ms"]), {});
  const a = new Target(config.targets[0]!);
  const b = new Target({ ...config.targets[0]!, name: "b" });
  const store = new DumpStore({ dataDir: dir, retention: 10, logger });
  await store.open();
  heaps = new HeapManager({ config, targets: () => [a, b], store, sampler: new MemorySampler({ targets: () => [a, b], proc }), logger, chooseSource });
  return { heaps, a, b };
}

const rows = () => [{ type: "T", count: 1, bytes: 10 }];

describe("HeapManager", () => {
  it("owns the runtime it recognised; a target with no source has a runtime and no view", async () => {
    const { heaps, a } = await setup(async (t) =>
      t.name === "a" ? { runtime: "node", reason: "no inspector" } : { runtime: "jvm", source: scriptedSource(rows) },
    );
    a.setMain({ pid: process.pid, startTime: 1 });
    expect(heaps.runtime("a")).toBe("unknown");
    await heaps.start();
    expect(heaps.runtime("a")).toBe("node");
    expect(heaps.runtime("b")).toBe("unknown"); // down: not looked at yet
    expect(heaps.view("a")).toBeUndefined();
    expect(heaps.dumpNow("a", "test")).toBeUndefined();
    expect(heaps.views()).toEqual([]);
  });

  it("publishes every target's outcomes to one subscription, targets attached later included", async () => {
    const { heaps, a, b } = await setup(async (t) => ({ runtime: t.name === "a" ? "jvm" : "dotnet", source: scriptedSource(rows) }));
    const events: DumpEvent[] = [];
    heaps.on("dump", (e) => events.push(e)); // before any target has a source
    a.setMain({ pid: process.pid, startTime: 1 });
    await heaps.start();
    expect(heaps.view("a")).toMatchObject({ target: "a", source: "scripted", runtime: "jvm" });
    expect((await heaps.dumpNow("a", "test"))?.result).toBe("success");

    b.setMain({ pid: process.pid, startTime: 2 });
    await waitFor(async () => heaps.view("b"), 10_000, "b's heap source");
    expect(heaps.runtime("b")).toBe("dotnet");
    expect((await heaps.dumpNow("b", "test"))?.result).toBe("success");

    expect(events.map((e) => [e.target, e.outcome.result])).toEqual([
      ["a", "success"],
      ["b", "success"],
    ]);
    expect(events[0]!.view).toBe(heaps.view("a"));
    expect(events[1]!.view).toBe(heaps.view("b"));
    expect(heaps.views().map((v) => v.target)).toEqual(["a", "b"]);
  });

  it("stops calling a listener once unsubscribed", async () => {
    const { heaps, a } = await setup(async () => ({ runtime: "jvm", source: scriptedSource(rows) }));
    a.setMain({ pid: process.pid, startTime: 1 });
    await heaps.start();
    let calls = 0;
    const off = heaps.on("dump", () => calls++);
    await heaps.dumpNow("a", "test");
    off();
    await heaps.dumpNow("a", "test");
    expect(calls).toBe(1);
    expect(heaps.view("a")?.counts.success?.[""]).toBe(2);
  });
});
