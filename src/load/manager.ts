// Load per target: the hammer (when --load-url or --load-command is set), load counted elsewhere (the admin API's
// POST …/load {count}, or --load-from-metric scraped before each dump), and the cumulative request count that
// each heap dump records, from which the analysis computes retained bytes per request.
//
// The cumulative count is the `ok` outcome of leakwatch_load_requests_total: requests the target served. External
// counts are added to it too (outcome="ok"), so one counter says how much load the target has seen, whoever sent it.
import { findExecutable } from "../runtime-kit/find-executable.js";
import { redactUrl } from "../util/redact.js";
import path from "node:path";
import type { Logger } from "pino";
import type { Target } from "../targets/target.js";
import { TargetError } from "../targets/manager.js";
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_SECONDS } from "../config/load-options.js";
import { sumMetric, type MetricSpec } from "../util/exposition.js";
import { Hammer, type HammerSettings } from "./hammer.js";
import { createRunner, type JobRunner, type JobSpec } from "./jobs.js";
import { LoadStats } from "./stats.js";
import { undici } from "./undici.js";

/** A change of settings at run time (PATCH …/load); null clears rate (uncapped) or jobs (unbounded) or body. */
export interface LoadPatch {
  concurrency?: number;
  jobs?: number | null;
  wait?: number;
  rate?: number | null;
  timeout?: number;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
}

const SCRAPE_TIMEOUT_MS = 5000;
const SCRAPE_MAX_BYTES = 32 * 1024 * 1024;

export class TargetLoad {
  readonly stats = new LoadStats();
  settings: HammerSettings;
  job: JobSpec | undefined;
  readonly fromMetric: MetricSpec | undefined;
  readonly metric: { value?: number; series?: number; at?: number; error?: string } = {};
  private hammer: Hammer | undefined;
  private runner: JobRunner | undefined;
  private reported = false;
  private scraping: Promise<void> | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(
    readonly target: Target,
    private readonly log: Logger,
  ) {
    const c = target.config;
    this.settings = {
      concurrency: c.loadConcurrency ?? DEFAULT_CONCURRENCY,
      jobs: c.loadJobs ?? null,
      waitSeconds: c.loadWait ?? 0,
      rate: c.loadRate,
      timeoutSeconds: c.loadTimeout ?? DEFAULT_TIMEOUT_SECONDS,
    };
    if (c.loadUrl) this.job = { kind: "http", url: c.loadUrl, method: c.loadMethod ?? "GET", headers: c.loadHeader ?? {}, body: c.loadBody };
    else if (c.loadCommand) this.job = { kind: "command", argv: c.loadCommand };
    this.fromMetric = c.loadFromMetric;
  }

  get name(): string {
    return this.target.name;
  }

  /** Is the load of this target known (hammer configured, counted elsewhere, or read from its metrics)? */
  get known(): boolean {
    return this.job !== undefined || this.fromMetric !== undefined || this.reported;
  }

  get running(): boolean {
    return this.hammer?.running ?? false;
  }

  /** Cumulative requests served, when load is known. */
  get requests(): number | undefined {
    return this.known ? this.stats.counts.ok : undefined;
  }

  /** Starts the hammer; false when there is nothing to run (no --load-url or --load-command). */
  start(): boolean {
    if (!this.job) return false;
    this.runner ??= createRunner(this.job);
    this.hammer ??= new Hammer(this.runner, this.settings, this.stats, () => this.target.up, this.log, this.name);
    if (this.hammer.start()) this.log.info({ target: this.name, kind: this.job.kind, ...this.settings }, "load started");
    return true;
  }

  async stop(): Promise<void> {
    if (this.hammer?.running) this.log.info({ target: this.name }, "load stopped");
    await this.hammer?.stop();
  }

  /** Applies a change; the hammer keeps running (restarted on a new URL, method, headers or body). */
  async update(p: LoadPatch): Promise<void> {
    this.settings = {
      concurrency: p.concurrency ?? this.settings.concurrency,
      jobs: p.jobs !== undefined ? p.jobs : this.settings.jobs,
      waitSeconds: p.wait ?? this.settings.waitSeconds,
      rate: p.rate !== undefined ? (p.rate ?? undefined) : this.settings.rate,
      timeoutSeconds: p.timeout ?? this.settings.timeoutSeconds,
    };
    const httpChange = p.url !== undefined || p.method !== undefined || p.headers !== undefined || p.body !== undefined;
    if (httpChange) {
      const base = this.job?.kind === "http" ? this.job : undefined;
      const url = p.url ?? base?.url;
      if (!url) throw new RangeError("no URL to send requests to: set url (or start leakwatch with --load-url)");
      if (this.job?.kind === "command" && p.url === undefined) throw new RangeError("this target's load is a command; method, headers and body apply to a URL");
      const c = this.target.config;
      this.job = {
        kind: "http",
        url,
        method: p.method ?? base?.method ?? c.loadMethod ?? "GET",
        headers: p.headers ?? base?.headers ?? c.loadHeader ?? {},
        body: p.body === null ? undefined : (p.body ?? base?.body ?? c.loadBody),
      };
      const wasRunning = this.running;
      await this.hammer?.stop();
      await this.runner?.close();
      this.hammer = undefined;
      this.runner = undefined;
      if (wasRunning) this.start();
    } else {
      this.hammer?.update(this.settings);
    }
    this.log.info({ target: this.name, ...this.settings }, "load settings changed");
  }

  /** Load counted elsewhere (k6, JMeter, a test script): added to the ok outcome. */
  addExternal(n: number): void {
    this.reported = true;
    this.stats.addExternal(n);
  }

  /** Reads --load-from-metric now (one scrape at a time; a caller arriving during one waits for it). */
  scrape(): Promise<void> {
    if (!this.fromMetric) return Promise.resolve();
    this.scraping ??= this.scrapeOnce().finally(() => {
      this.scraping = undefined;
    });
    return this.scraping;
  }

  private async scrapeOnce(): Promise<void> {
    const spec = this.fromMetric!;
    try {
      const res = await undici().request(spec.url, {
        headers: { accept: "text/plain;version=0.0.4" },
        signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > SCRAPE_MAX_BYTES) throw new Error(`more than ${SCRAPE_MAX_BYTES} bytes`);
        chunks.push(chunk);
      }
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      const { value, series } = sumMetric(Buffer.concat(chunks).toString("utf8"), spec.metric, spec.labels);
      if (series === 0) throw new Error(`no series of ${spec.metric} matches`);
      // The target's counter is cumulative since it started: add what it gained; after a reset (a restart), all of it.
      const prev = this.metric.value;
      const delta = prev === undefined || value < prev ? value : value - prev;
      this.stats.addExternal(Math.max(0, delta));
      this.metric.value = value;
      this.metric.series = series;
      this.metric.at = Date.now();
      this.metric.error = undefined;
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (this.metric.error !== message)
        this.log.warn({ target: this.name, url: redactUrl(spec.url), metric: spec.metric, err: message }, "cannot read the load metric");
      this.metric.error = message;
    }
  }

  /** With --dump-every-requests, the metric is read every second to see when a dump is due. */
  startPolling(seconds: number): void {
    if (!this.fromMetric || this.poll) return;
    this.poll = setInterval(() => void this.scrape(), seconds * 1000);
    this.poll.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    this.poll = undefined;
    await this.hammer?.stop({ abort: true });
    await this.scraping;
    await this.runner?.close();
  }

  /** The read-only view (GET …/load): no header values, URL credentials or query values, or command arguments (they may be secrets). */
  status(): Record<string, unknown> {
    const job = this.job;
    return {
      target: this.name,
      known: this.known,
      running: this.running,
      pausedBecause: this.hammer?.pausedBecause ?? null,
      kind: job?.kind ?? null,
      url: job?.kind === "http" ? redactUrl(job.url) : null,
      method: job?.kind === "http" ? job.method : null,
      headers: job?.kind === "http" ? Object.keys(job.headers) : null,
      command: job?.kind === "command" ? path.basename(job.argv[0]!) : null,
      concurrency: this.settings.concurrency,
      jobs: this.settings.jobs,
      wait: this.settings.waitSeconds,
      rate: this.settings.rate ?? null,
      timeout: this.settings.timeoutSeconds,
      rounds: this.hammer?.rounds ?? 0,
      requests: { ...this.stats.counts, external: this.stats.external },
      inFlight: this.stats.inFlight,
      cumulativeRequests: this.requests ?? null,
      lastError: this.stats.lastError ?? null,
      fromMetric: this.fromMetric
        ? {
            url: redactUrl(this.fromMetric.url),
            metric: this.fromMetric.metric,
            labels: this.fromMetric.labels,
            value: this.metric.value ?? null,
            at: this.metric.at ?? null,
            error: this.metric.error ?? null,
          }
        : null,
    };
  }
}

export interface LoadManagerOptions {
  targets: () => Target[];
  logger: Logger;
}

export class LoadManager {
  private readonly loads = new Map<string, TargetLoad>();

  constructor(private readonly opts: LoadManagerOptions) {}

  /** Checks the load commands (TargetError when one cannot run) and starts the configured hammers. */
  async start(): Promise<void> {
    for (const t of this.opts.targets()) {
      const cmd = t.config.loadCommand?.[0];
      if (cmd !== undefined && (await findExecutable(cmd)) === undefined) throw new TargetError(`--load-command: command not found or not executable: ${cmd}`);
    }
    for (const t of this.opts.targets()) {
      const l = this.for(t);
      if (!l) continue;
      if (l.fromMetric) {
        void l.scrape();
        if (t.config.dumpEveryRequests !== undefined) l.startPolling(1);
      }
      l.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.loads.values()].map((l) => l.close()));
  }

  /** The target's load state (created on first use), or undefined for an unknown target. */
  for(target: Target | string): TargetLoad | undefined {
    const t = typeof target === "string" ? this.opts.targets().find((x) => x.name === target) : target;
    if (!t) return undefined;
    let l = this.loads.get(t.name);
    if (!l) this.loads.set(t.name, (l = new TargetLoad(t, this.opts.logger)));
    return l;
  }

  /** Targets whose load is known. */
  list(): TargetLoad[] {
    return [...this.loads.values()].filter((l) => l.known);
  }

  /** Cumulative requests served by the target, when its load is known: stored with each heap dump. */
  requests(target: string): number | undefined {
    return this.loads.get(target)?.requests;
  }

  /** Before each dump: read --load-from-metric, so that the dump records the target's count as of now. */
  async beforeDump(target: string): Promise<void> {
    await this.loads.get(target)?.scrape();
  }
}
