// Load metrics: requests by outcome, requests in flight, the configured rate cap, and the request-duration
// histogram, for every target whose load is known (hammer configured, counted elsewhere, or read from its metrics).
//
// The histogram is not a collector family: the collector interface exposes gauges and counters as snapshots, and a
// histogram accumulates per observation. It is a small read-at-scrape view (the collector's `views`) that the
// registry hands to prom-client, rendered as a histogram (_bucket{le}, _sum, _count); its state is a plain array
// the hammer increments on the hot path. Calling a prom-client Histogram (label hashing) on every request costs more.
import type { LoadManager } from "../load/manager.js";
import { OUTCOMES } from "../load/stats.js";
import { type Collector, type CollectorDefinition, type Emitter, type FamilyDesc, type View, counter, gauge } from "./collector.js";

const REQUESTS = counter(
  "leakwatch_load_requests_total",
  "Load requests by outcome (ok, error, timeout): sent by leakwatch's hammer, plus load counted elsewhere (POST .../load, --load-from-metric) as ok.",
  ["target", "outcome"],
);
const IN_FLIGHT = gauge("leakwatch_load_in_flight", "Load requests (or commands) running now.", ["target"]);
const TARGET_RATE = gauge("leakwatch_load_target_rate", "The configured cap on load requests per second; absent when uncapped.", ["target"]);
const RUNNING = gauge("leakwatch_load_running", "1 while leakwatch's hammer is running against the target, else 0.", ["target"]);

const DURATION: FamilyDesc = {
  name: "leakwatch_load_request_duration_seconds",
  help: "How long load requests took (any outcome), as seen by leakwatch's hammer.",
  type: "histogram",
  labels: ["target"],
};

export const loadCollector: CollectorDefinition<{ load?: LoadManager }> = {
  name: "load",
  help: "Load requests by outcome, in flight, the rate cap and request durations, for every target whose load is known.",
  metrics: [REQUESTS, IN_FLIGHT, TARGET_RATE, RUNNING],
  views: [DURATION],
  create: (deps) => (deps.load ? new LoadCollector(deps.load) : undefined),
};

export class LoadCollector implements Collector {
  readonly name = loadCollector.name;
  readonly metrics = loadCollector.metrics;
  readonly views: readonly View[];

  constructor(private readonly load: LoadManager) {
    this.views = [new DurationHistogramView(load)];
  }

  async collect(out: Emitter): Promise<void> {
    for (const l of this.load.list()) {
      const target = l.name;
      for (const outcome of OUTCOMES) out.emit(REQUESTS, { target, outcome }, l.stats.counts[outcome]);
      out.emit(IN_FLIGHT, { target }, l.stats.inFlight);
      out.emit(RUNNING, { target }, l.running ? 1 : 0);
      if (l.job) out.emit(TARGET_RATE, { target }, l.settings.rate);
    }
  }
}

/** leakwatch_load_request_duration_seconds{target}, read from the hammers' histograms at scrape time. */
class DurationHistogramView implements View {
  readonly name = DURATION.name;
  readonly help = DURATION.help;
  readonly type = DURATION.type;
  constructor(private readonly load: LoadManager) {}

  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const l of this.load.list()) {
      if (!l.job) continue;
      const h = l.stats.durations;
      for (const [le, n] of h.cumulative()) {
        values.push({ labels: { target: l.name, le: le === Infinity ? "+Inf" : le }, value: n, metricName: `${DURATION.name}_bucket` });
      }
      values.push({ labels: { target: l.name }, value: h.sum, metricName: `${DURATION.name}_sum` });
      values.push({ labels: { target: l.name }, value: h.count, metricName: `${DURATION.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: "sum", values };
  }
}
