// The one list of collectors (src/collectors/index.ts): what createCollectors registers is what the catalog and
// docs/metrics.md describe, because both come from the same definitions.
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { COLLECTORS, registerCollectors, type CollectorDeps } from "../../../src/collectors/index.js";
import { CollectorRegistry } from "../../../src/collectors/registry.js";
import { METRIC_CATALOG } from "../../../src/collectors/catalog.js";
import { ProcFs } from "../../../src/procfs/process.js";
import { DumpStore } from "../../../src/heap/store.js";
import { LoadManager } from "../../../src/load/manager.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";

const logger = pino({ level: "silent" });

function deps(load?: LoadManager): CollectorDeps {
  return {
    targets: () => [],
    proc: new ProcFs(),
    sampler: new MemorySampler({ targets: () => [], proc: new ProcFs() }),
    clockTicks: 100,
    logger,
    heaps: () => [],
    store: new DumpStore({ retention: 1, logger }), // in memory,
    load,
  };
}

describe("collector definitions", () => {
  it("have unique one-word names and unique metric names", () => {
    const names = COLLECTORS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+$/);
    const metrics = COLLECTORS.flatMap((d) => [...d.metrics, ...(d.views ?? [])].map((m) => m.name));
    expect(new Set(metrics).size).toBe(metrics.length);
  });

  it("build collectors with the definition's name and metrics; the catalog lists all of them", async () => {
    const registry = registerCollectors(new CollectorRegistry({ logger }), deps(new LoadManager({ targets: () => [], logger })));
    try {
      const text = await registry.scrape();
      for (const d of COLLECTORS) {
        expect(text).toContain(`leakwatch_scrape_collector_success{collector="${d.name}"} 1`);
        for (const m of [...d.metrics, ...(d.views ?? [])]) {
          expect(text, `${d.name} declares ${m.name}`).toContain(`# TYPE ${m.name} ${m.type}\n`);
          expect(METRIC_CATALOG.find((e) => e.name === m.name)).toMatchObject({ collector: d.name, type: m.type, labels: m.labels });
        }
      }
    } finally {
      await registry.close();
    }
  });

  it("a definition with nothing to do builds nothing: no load manager, no load collector", async () => {
    const registry = registerCollectors(new CollectorRegistry({ logger }), deps());
    try {
      const text = await registry.scrape();
      expect(text).not.toContain('collector="load"');
      expect(text).not.toContain("leakwatch_load_request_duration_seconds");
      expect(text).toContain('leakwatch_scrape_collector_success{collector="target"} 1');
    } finally {
      await registry.close();
    }
  });
});
