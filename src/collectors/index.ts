// Registration in one place: every collector leakwatch runs is listed here.
import client from "prom-client";
import type { Logger } from "pino";
import type { TargetManager } from "../targets/manager.js";
import type { ProcFs } from "../procfs/process.js";
import type { Config } from "../config/schema.js";
import { clockTicksPerSecond } from "../procfs/system.js";
import { CollectorRegistry } from "./registry.js";
import { TargetCollector } from "./target.js";
import { ProcessMemoryCollector } from "./process-memory.js";
import { CgroupMemoryCollector } from "./cgroup-memory.js";
import { HostCollector } from "./host.js";
import { VERSION } from "../util/version.js";
import { HeapCollector } from "./heap.js";
import type { HeapManager } from "../heap/manager.js";
import type { DumpStore } from "../heap/store.js";
import type { LoadManager } from "../load/manager.js";
import { registerLoadMetrics } from "./load.js";
import { createDotnetRuntimeCollector } from "./dotnet-runtime.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";

export function createCollectors(deps: {
  config: Config;
  targets: TargetManager;
  proc: ProcFs;
  logger: Logger;
  heaps: HeapManager;
  store: DumpStore;
  load?: LoadManager;
  dotnetListener?: DiagnosticPortListener;
}): CollectorRegistry {
  const registry = new CollectorRegistry({ logger: deps.logger, beforeScrape: () => deps.targets.verify() });
  const targets = () => deps.targets.targets;
  registry.register(new TargetCollector(targets));
  registry.register(new ProcessMemoryCollector(targets, deps.proc, { pssMaxRss: deps.config.pssMaxRss, clockTicks: clockTicksPerSecond() }));
  registry.register(new CgroupMemoryCollector(targets));
  registry.register(new HostCollector());
  registry.register(new HeapCollector(() => deps.heaps.list(), deps.store));
  // .NET targets get a background counters session; the collector only reads its latest values.
  registry.register(
    createDotnetRuntimeCollector({
      targets: () => deps.targets.targets.map((t) => ({ name: t.name, pid: t.main?.pid, runtime: t.runtime })),
      logger: deps.logger.child({ collector: "dotnet" }),
      listener: deps.dotnetListener,
    }),
  );
  if (deps.load) registerLoadMetrics(registry, deps.load);

  // leakwatch itself: build info and prom-client's process/nodejs metrics.
  new client.Gauge({ name: "leakwatch_build_info", help: "leakwatch's version; always 1.", labelNames: ["version", "nodejs"], registers: [registry.prom] })
    .set({ version: VERSION, nodejs: process.version }, 1);
  // A coarse event-loop monitor: the default 10 ms timer alone costs about 1% of a core while idle.
  client.collectDefaultMetrics({ register: registry.prom, eventLoopMonitoringPrecision: 200 });
  // These three are gauges named *_total, which `promtool check metrics` rejects; their counts are also in
  // nodejs_active_handles and nodejs_active_resources.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.prom.removeSingleMetric(name);
  }
  return registry;
}
