// leakwatch_dotnet_* metrics from a real .NET program: the collector's background EventPipe counters session,
// values in base units, counters that grow with the program's allocations, and clean stop when the target goes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Samples } from "../../../helpers/emitter.js";
import { DotnetRuntimeCollector } from "../../../../src/collectors/dotnet-runtime.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { skipReason, waitFor } from "../../../helpers/env.js";
import { DotnetTarget, buildTargets, dotnetMissing, makeContext } from "./helpers.js";

const skip = skipReason("dotnet counters collector tests", dotnetMissing());

async function scrape(c: DotnetRuntimeCollector): Promise<Samples> {
  const s = new Samples();
  await c.collect(s);
  return s;
}

describe.skipIf(skip)("dotnet runtime collector (real .NET program)", () => {
  let target: DotnetTarget;
  let collector: DotnetRuntimeCollector;
  let pid: number | undefined;

  beforeAll(async () => {
    target = await DotnetTarget.start(buildTargets(), "leak");
    pid = target.pid;
    collector = new DotnetRuntimeCollector({ targets: () => [{ name: "app", pid, runtime: "unknown" }], intervalSec: 1, reconcileMs: 200 });
    collector.start();
  }, 300_000);
  afterAll(async () => {
    await collector?.close();
    await target?.kill();
  });

  it("serves the runtime's memory counters in base units, read from the background session", async () => {
    const first = await waitFor(
      async () => {
        const s = await scrape(collector);
        return s.get("leakwatch_dotnet_counters_up", { target: "app" }) === 1 && s.get("leakwatch_dotnet_gc_heap_size_bytes") !== undefined ? s : undefined;
      },
      20_000,
      "the counters session to deliver values",
    );
    const heap = first.get("leakwatch_dotnet_gc_heap_size_bytes", { target: "app" })!;
    // gc-heap-size is reported in MB (10^6 bytes): in bytes a small program has ~0.1-50 MB.
    expect(heap).toBeGreaterThan(50_000);
    expect(heap).toBeLessThan(500e6);
    for (const gen of ["0", "1", "2", "loh", "poh"]) {
      expect(first.get("leakwatch_dotnet_gc_generation_size_bytes", { target: "app", generation: gen })).toBeGreaterThanOrEqual(0);
    }
    const pause = first.get("leakwatch_dotnet_gc_pause_ratio", { target: "app" })!;
    expect(pause).toBeGreaterThanOrEqual(0);
    expect(pause).toBeLessThanOrEqual(1);
    expect(first.get("leakwatch_dotnet_working_set_bytes", { target: "app" })).toBeGreaterThan(1e6);

    // Compared with an exact heap dump: the same order of magnitude.
    const ctx = makeContext(target.pid);
    try {
      const body = await new DotnetEventPipeSource().dump(ctx);
      expect(heap / body.totalBytes).toBeGreaterThan(0.2);
      expect(heap / body.totalBytes).toBeLessThan(20);
    } finally {
      ctx.cleanup();
    }

    // Allocations and GCs show in the counters (alloc-rate sums up; the dump's induced GC is a gen-2 GC).
    const allocated0 = first.get("leakwatch_dotnet_allocated_bytes_total", { target: "app" }) ?? 0;
    await target.iterate(3000); // 3000 × (~2 KiB session + 0.5 KiB transient)
    const later = await waitFor(
      async () => {
        const s = await scrape(collector);
        const a = s.get("leakwatch_dotnet_allocated_bytes_total", { target: "app" }) ?? 0;
        const g2 = s.get("leakwatch_dotnet_gc_collections_total", { target: "app", generation: "2" }) ?? 0;
        return a - allocated0 > 5e6 && g2 >= 1 ? s : undefined;
      },
      20_000,
      "allocated bytes and a gen-2 collection to be counted",
    );
    expect(later.get("leakwatch_dotnet_gc_collections_total", { target: "app", generation: "0" })).toBeGreaterThanOrEqual(0);
    expect(collector.metrics.every((m) => m.name.startsWith("leakwatch_dotnet_"))).toBe(true);
  });

  it("reports up=0 and stops the session when the target goes away", async () => {
    await target.kill();
    await waitFor(async () => (await scrape(collector)).get("leakwatch_dotnet_counters_up", { target: "app" }) === 0, 15_000, "up to drop to 0");
    pid = undefined;
    await collector.reconcile();
    expect(collector.sessions().size).toBe(0);
    expect((await scrape(collector)).rows).toEqual([]);
  });
});
