// The one small interface every collector implements (after node_exporter's collector package): a collector
// describes its metric families up front and, on each scrape, emits samples for them. The registry runs every
// collector in isolation, so one failure costs only that collector's series and sets its success metric to 0.

export type MetricType = "gauge" | "counter";

export interface MetricDesc {
  name: string;
  help: string;
  type: MetricType;
}

export type Labels = Record<string, string | number>;

export interface Emitter {
  /** Adds a sample; non-finite values are dropped so a scrape never exposes NaN or Inf. */
  emit(desc: MetricDesc, labels: Labels, value: number | undefined): void;
  /** Records a partial failure (e.g. one target unreadable): the other samples are kept, success becomes 0. */
  fail(err: unknown, context?: string): void;
}

export interface Collector {
  /** The `collector` label of leakwatch_scrape_collector_*; one word. */
  readonly name: string;
  readonly metrics: MetricDesc[];
  collect(out: Emitter): Promise<void>;
  /** Stops whatever the collector runs in the background (sessions, timers). */
  close?(): Promise<void>;
}

export function gauge(name: string, help: string): MetricDesc {
  return { name, help, type: "gauge" };
}

export function counter(name: string, help: string): MetricDesc {
  if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
  return { name, help, type: "counter" };
}
