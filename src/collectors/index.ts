// Registration in one place: every collector leakwatch runs is listed here, once. The same list is the metric
// catalog (catalog.ts), from which the bundle's tests and docs/metrics.md are checked and generated.
import client from "prom-client";
import type { Logger } from "pino";
import type { TargetManager } from "../targets/manager.js";
import type { Target } from "../targets/target.js";
import type { ProcFs } from "../procfs/process.js";
import type { MemorySampler } from "../sampling/sampler.js";
import type { Config } from "../config/schema.js";
import { clockTicksPerSecond } from "../procfs/system.js";
import type { HeapManager } from "../heap/manager.js";
import type { HeapView } from "../heap/state.js";
import type { LoadManager } from "../load/manager.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";
import { VERSION } from "../util/version.js";
import { type CollectorDefinition, gauge } from "./collector.js";
import { CollectorRegistry } from "./registry.js";
import { targetCollector } from "./target.js";
import { processMemoryCollector } from "./process-memory.js";
import { cgroupMemoryCollector } from "./cgroup-memory.js";
import { hostCollector } from "./host.js";
import { heapCollector } from "./heap.js";
import { dotnetRuntimeCollector } from "./dotnet-runtime.js";
import { loadCollector } from "./load.js";

/** The parts of the daemon collectors are built from; each definition takes only what it needs. */
export interface CollectorDeps {
  targets: () => Target[];
  /** The /proc the host collector reads. */
  proc: ProcFs;
  /** The targets' memory, which the process and cgroup collectors expose. */
  sampler: MemorySampler;
  /** USER_HZ, for CPU times in /proc/PID/stat. */
  clockTicks: number;
  logger: Logger;
  /** Every target's current heap view. */
  heaps: () => HeapView[];
  /** The runtime recognised for a target, "unknown" until known. */
  runtime: (target: string) => string;
  load?: LoadManager;
  dotnetListener?: DiagnosticPortListener;
}

/** Every collector, in registration (and exposition) order. */
export const COLLECTORS: readonly CollectorDefinition<CollectorDeps>[] = [
  targetCollector,
  processMemoryCollector,
  cgroupMemoryCollector,
  hostCollector,
  heapCollector,
  dotnetRuntimeCollector,
  loadCollector,
];

/** leakwatch's own version, next to prom-client's process/nodejs metrics about leakwatch itself. */
export const BUILD_INFO = gauge("leakwatch_build_info", "leakwatch's version; always 1.", ["version", "nodejs"]);

/** A registry with the given collectors built from deps (every collector unless told). */
export function registerCollectors(registry: CollectorRegistry, deps: CollectorDeps, definitions = COLLECTORS): CollectorRegistry {
  for (const def of definitions) {
    const c = def.create(deps);
    if (c) registry.register(c);
  }
  return registry;
}

export function createCollectors(deps: {
  config: Config;
  targets: TargetManager;
  proc: ProcFs;
  sampler: MemorySampler;
  logger: Logger;
  heaps: HeapManager;
  load?: LoadManager;
  dotnetListener?: DiagnosticPortListener;
}): CollectorRegistry {
  const registry = new CollectorRegistry({ logger: deps.logger, beforeScrape: () => deps.targets.verify() });
  registerCollectors(registry, {
    targets: () => deps.targets.targets,
    proc: deps.proc,
    sampler: deps.sampler,
    clockTicks: clockTicksPerSecond(),
    logger: deps.logger,
    heaps: () => deps.heaps.views(),
    runtime: (target) => deps.heaps.runtime(target),
    load: deps.load,
    dotnetListener: deps.dotnetListener,
  });

  // leakwatch itself: build info and prom-client's process/nodejs metrics.
  new client.Gauge({ name: BUILD_INFO.name, help: BUILD_INFO.help, labelNames: BUILD_INFO.labels, registers: [registry.prom] }).set(
    { version: VERSION, nodejs: process.version },
    1,
  );
  // A coarse event-loop monitor: the default 10 ms timer alone costs about 1% of a core while idle.
  client.collectDefaultMetrics({ register: registry.prom, eventLoopMonitoringPrecision: 200 });
  // These three are gauges named *_total, which `promtool check metrics` rejects; their counts are also in
  // nodejs_active_handles and nodejs_active_resources.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.prom.removeSingleMetric(name);
  }
  return registry;
}
