// The leakwatch_dotnet_* collector against a fake runtime streaming recorded System.Runtime counters: values in
// base units, scrape reads only, sessions started and stopped by the background reconcile.
import { afterEach, describe, expect, it } from "vitest";
import { Samples } from "../../helpers/emitter.js";
import { DotnetRuntimeCollector } from "../../../src/collectors/dotnet-runtime.js";
import { unitFactor } from "../../../src/runtimes/dotnet/counters.js";
import { FakeRuntime } from "../runtimes/dotnet/fake-runtime.js";
import { NettraceWriter, fixture } from "../runtimes/dotnet/writer.js";

let fake: FakeRuntime | undefined;
let collector: DotnetRuntimeCollector | undefined;
afterEach(async () => {
  await collector?.close();
  await fake?.close();
  collector = undefined;
  fake = undefined;
});

describe("dotnet runtime collector", () => {
  it("serves recorded counters in base units and stops its session when the target goes", async () => {
    fake = new FakeRuntime(process.pid, fixture("counters.nettrace.gz"), new NettraceWriter().end());
    await fake.listen();
    let pid: number | undefined = process.pid;
    collector = new DotnetRuntimeCollector({ targets: () => [{ name: "app", pid, runtime: "dotnet" }], socketDirs: [fake.dir], intervalSec: 1 });
    expect(collector.metrics.map((m) => m.name).filter((n) => !n.startsWith("leakwatch_dotnet_"))).toEqual([]);
    const empty = new Samples();
    await collector.collect(empty);
    expect(empty.rows).toEqual([]); // nothing until the background loop started a session
    await collector.reconcile();
    const deadline = Date.now() + 5000;
    let s = new Samples();
    while (Date.now() < deadline) {
      s = new Samples();
      await collector.collect(s);
      if (s.get("leakwatch_dotnet_counters_up") === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(s.get("leakwatch_dotnet_counters_up", { target: "app" })).toBe(1);
    expect(fake.sessions).toEqual(["System.Runtime"]);
    const heap = s.get("leakwatch_dotnet_gc_heap_size_bytes", { target: "app" })!;
    expect(heap).toBeGreaterThan(100_000); // recorded as ~0.5 MB
    expect(Number.isInteger(Math.round(heap))).toBe(true);
    expect(s.get("leakwatch_dotnet_gc_generation_size_bytes", { target: "app", generation: "poh" })).toBeGreaterThan(0);
    const ratio = s.get("leakwatch_dotnet_gc_pause_ratio", { target: "app" })!;
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(s.get("leakwatch_dotnet_allocated_bytes_total", { target: "app" })).toBeGreaterThan(0);
    expect(s.get("leakwatch_dotnet_gc_collections_total", { target: "app", generation: "2" })).toBeGreaterThanOrEqual(0);

    pid = undefined; // the target went down
    await collector.reconcile();
    expect(collector.sessions().size).toBe(0);
    expect(fake.stops).toEqual([1n]);
    const after = new Samples();
    await collector.collect(after);
    expect(after.rows).toEqual([]);
  });

  it("converts display units to base units", () => {
    expect(unitFactor("MB")).toBe(1e6);
    expect(unitFactor("%")).toBe(0.01);
    expect(unitFactor("ms")).toBe(0.001);
    expect(unitFactor("B")).toBe(1);
    expect(unitFactor("")).toBe(1);
  });
});
