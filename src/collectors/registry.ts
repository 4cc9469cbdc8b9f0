// Runs the collectors on each scrape and hands their samples to prom-client, which owns exposition. Samples
// are replaced whole per scrape, so a series that a collector no longer emits (a gone target) disappears.
import client from "prom-client";
import type { Logger } from "pino";
import { type Collector, type Emitter, type Labels, type MetricDesc, gauge } from "./collector.js";

interface Sample {
  labels: Labels;
  value: number;
}

/** A prom-client metric whose samples are whatever the last scrape produced. */
class SnapshotMetric {
  samples: Sample[] = [];
  constructor(readonly desc: MetricDesc) {}
  get name(): string {
    return this.desc.name;
  }
  // The shape prom-client's Registry reads from a metric (name, help, type, values).
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    return {
      name: this.desc.name,
      help: this.desc.help,
      type: this.desc.type,
      aggregator: "sum",
      values: this.samples, // already { labels, value }: no copy per scrape
    };
  }
}

export const SUCCESS = gauge("leakwatch_scrape_collector_success", "1 if the collector's last scrape succeeded, 0 if it failed in whole or in part.", [
  "collector",
]);
export const DURATION = gauge("leakwatch_scrape_collector_duration_seconds", "How long the collector's last scrape took.", ["collector"]);

export interface CollectorRegistryOptions {
  logger: Logger;
  /** A collector that has not finished by then counts as failed; its samples are dropped. */
  timeoutMs?: number;
  /** Run before the collectors on every scrape (e.g. re-checking that targets are still alive). */
  beforeScrape?: () => Promise<void>;
}

export class CollectorRegistry {
  readonly prom = new client.Registry();
  private readonly collectors: Collector[] = [];
  private readonly families = new Map<string, SnapshotMetric>();
  private inFlight: Promise<string> | undefined;

  constructor(private readonly opts: CollectorRegistryOptions) {
    this.family(SUCCESS);
    this.family(DURATION);
  }

  private family(desc: MetricDesc): SnapshotMetric {
    let f = this.families.get(desc.name);
    if (!f) {
      f = new SnapshotMetric(desc);
      this.families.set(desc.name, f);
      this.prom.registerMetric(f as unknown as client.Metric);
    } else if (f.desc.type !== desc.type) {
      throw new Error(`metric ${desc.name} declared twice with different types`);
    }
    return f;
  }

  register(c: Collector): void {
    if (this.collectors.some((x) => x.name === c.name)) throw new Error(`collector ${c.name} registered twice`);
    for (const m of c.metrics) this.family(m);
    // Views are rendered by prom-client from the collector's own state; they take no part in collect().
    for (const v of c.views ?? []) this.prom.registerMetric(v as unknown as client.Metric);
    this.collectors.push(c);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.collectors.map((c) => c.close?.().catch((err: unknown) => this.opts.logger.warn({ collector: c.name, err: String(err) }, "collector close failed"))),
    );
  }

  /** Concurrent scrapes share one collection: two Prometheus servers get the same answer for the same instant. */
  scrape(): Promise<string> {
    this.inFlight ??= this.collectAndRender().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async collectAndRender(): Promise<string> {
    await this.opts.beforeScrape?.().catch((err: unknown) => this.opts.logger.warn({ err }, "pre-scrape check failed"));
    const next = new Map<string, Sample[]>();
    const status: Sample[] = [];
    const durations: Sample[] = [];
    await Promise.all(
      this.collectors.map(async (c) => {
        const buf = new Map<string, Sample[]>();
        let ok = true;
        const out: Emitter = {
          emit: (desc, labels, value) => {
            if (value === undefined || !Number.isFinite(value)) return;
            if (!this.families.has(desc.name)) throw new Error(`collector ${c.name} emitted undeclared ${desc.name}`);
            let list = buf.get(desc.name);
            if (!list) buf.set(desc.name, (list = []));
            list.push({ labels, value });
          },
          fail: (err, context) => {
            ok = false;
            this.opts.logger.debug({ collector: c.name, context, err: String(err) }, "collector partial failure");
          },
        };
        const started = process.hrtime.bigint();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            c.collect(out),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error("timed out")), this.opts.timeoutMs ?? 5000);
            }),
          ]);
        } catch (err) {
          ok = false;
          buf.clear();
          this.opts.logger.warn({ collector: c.name, err: String(err) }, "collector failed");
        } finally {
          clearTimeout(timer);
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const [name, samples] of buf) {
          const list = next.get(name);
          if (list) list.push(...samples);
          else next.set(name, samples);
        }
        status.push({ labels: { collector: c.name }, value: ok ? 1 : 0 });
        durations.push({ labels: { collector: c.name }, value: seconds });
      }),
    );
    next.set(SUCCESS.name, status);
    next.set(DURATION.name, durations);
    for (const [name, f] of this.families) f.samples = next.get(name) ?? [];
    // Our own samples are finite by construction; prom-client's default metrics are not (the event-loop lag
    // statistics are NaN until the monitor has a sample). A NaN breaks alert arithmetic, so none is exposed.
    const text = await this.prom.metrics();
    // Rendered: let the samples go now. Held until the next scrape, they would outlive two young-generation
    // collections and be promoted to the old generation, which only a full collection gives back.
    for (const f of this.families.values()) f.samples = [];
    // (prom-client spells it "Nan".)
    return / Nan$/m.test(text)
      ? text
          .split("\n")
          .filter((l) => !l.endsWith(" Nan"))
          .join("\n")
      : text;
  }
}
