// The one small interface every collector implements (after node_exporter's collector package): a collector
// describes its metric families up front and, on each scrape, emits samples for them. The registry runs every
// collector in isolation, so one failure costs only that collector's series and sets its success metric to 0.

export type MetricType = "gauge" | "counter";

/** A metric family as documented: what docs/metrics.md and the bundle's tests know about it. */
export interface FamilyDesc {
  name: string;
  help: string;
  type: MetricType | "histogram" | "summary";
  /** The label names every sample carries (a histogram's `le` aside). */
  labels: readonly string[];
}

/** A family a collector emits samples for. */
export interface MetricDesc extends FamilyDesc {
  type: MetricType;
}

export type Labels = Record<string, string | number>;

export interface Emitter {
  /** Adds a sample; non-finite values are dropped so a scrape never exposes NaN or Inf. */
  emit(desc: MetricDesc, labels: Labels, value: number | undefined): void;
  /** Records a partial failure (e.g. one target unreadable): the other samples are kept, success becomes 0. */
  fail(err: unknown, context?: string): void;
}

/**
 * A family prom-client renders from state read at scrape time (a histogram the hammer fills on its hot path):
 * `get()` returns what prom-client's Registry reads from a metric. Its descriptor is in the definition's `views`.
 */
export interface View {
  readonly name: string;
  get(): unknown;
}

export interface Collector {
  /** The `collector` label of leakwatch_scrape_collector_*; one word. */
  readonly name: string;
  readonly metrics: readonly MetricDesc[];
  collect(out: Emitter): Promise<void>;
  /** Read-at-scrape families registered next to the collector's own; few collectors have any. */
  readonly views?: readonly View[];
  /** Stops whatever the collector runs in the background (sessions, timers). */
  close?(): Promise<void>;
}

/**
 * A collector as listed in index.ts: its name and families are known without building it, so the list the daemon
 * registers is also the metric catalog (catalog.ts) and docs/metrics.md. `Deps` is the part of the daemon the
 * collector is built from.
 */
export interface CollectorDefinition<Deps> {
  readonly name: string;
  /** What it collects, for docs/metrics.md. */
  readonly help: string;
  readonly metrics: readonly MetricDesc[];
  /** The families of the collector's views, if it has any. */
  readonly views?: readonly FamilyDesc[];
  /** Builds the collector; undefined when it has nothing to do in this daemon (e.g. no load manager). */
  create(deps: Deps): Collector | undefined;
}

export function gauge(name: string, help: string, labels: readonly string[] = []): MetricDesc {
  return { name, help, type: "gauge", labels };
}

export function counter(name: string, help: string, labels: readonly string[] = []): MetricDesc {
  if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
  return { name, help, type: "counter", labels };
}
