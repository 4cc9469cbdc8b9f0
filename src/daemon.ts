// Wires the pieces together: targets → collectors → HTTP. One instance per process (and per test).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Express } from "express";
import type { Config } from "./config/schema.js";
import { ProcFs } from "./procfs/process.js";
import { TargetError, TargetManager } from "./targets/manager.js";
import { preflightSource } from "./sources/index.js";
import { createCollectors } from "./collectors/index.js";
import type { CollectorRegistry } from "./collectors/registry.js";
import { createApp } from "./server/app.js";
import { DumpStore } from "./heap/store.js";
import { HeapManager, type ChooseSource } from "./heap/manager.js";
import { makeChooseSource, launchEnvFor } from "./heap/choose.js";
import { DiagnosticPortListener } from "./runtimes/dotnet/protocol/listener.js";
import { LoadManager } from "./load/manager.js";
import { MemorySampler } from "./sampling/sampler.js";
import { OutcomeHistory } from "./ui/history.js";
import { Ledger } from "./leftovers/ledger.js";
import { cleanEarlierRuns } from "./leftovers/earlier.js";
import { findMemoryMounts } from "./cgroups/mounts.js";

export class ListenError extends Error {}

export class Daemon {
  readonly targets: TargetManager;
  readonly registry: CollectorRegistry;
  readonly app: Express;
  readonly store: DumpStore;
  readonly heaps: HeapManager;
  readonly load: LoadManager;
  /** The targets' memory, sampled on one tick: /metrics, the UI, dump triggers and the run report read it. */
  readonly sampler: MemorySampler;
  readonly history: OutcomeHistory;
  private server: Server | undefined;
  /** .NET reverse mode (--dotnet-diagnostic-port): runtimes connect to this socket. */
  readonly dotnetListener: DiagnosticPortListener | undefined;
  /** What this leakwatch has created or caused and must not leave behind (src/leftovers/). */
  readonly ledger: Ledger;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    opts: {
      onAllExited?: (status: number) => void;
      proc?: ProcFs;
      chooseSource?: ChooseSource;
      historyKeepMs?: number;
      /** The data dir whose state files say what killed leakwatch processes left behind (default: config.dataDir; a run's is its parent's). */
      stateDir?: string;
    } = {},
  ) {
    const proc = opts.proc ?? new ProcFs();
    this.ledger = new Ledger(opts.stateDir ?? config.dataDir, logger);
    this.dotnetListener = config.dotnetDiagnosticPort
      ? new DiagnosticPortListener(config.dotnetDiagnosticPort, { logger: logger.child({ component: "dotnet-listener" }) })
      : undefined;
    this.store = new DumpStore({ dataDir: config.dataDir, retention: config.retention, logger });
    this.targets = new TargetManager({
      config,
      logger,
      proc,
      onAllExited: opts.onAllExited,
      launchEnv: (t) => launchEnvFor(t, this.heaps.rawDir(t.name)),
      ledger: this.ledger,
    });
    this.load = new LoadManager({ targets: () => this.targets.targets, logger });
    this.sampler = new MemorySampler({
      targets: () => this.targets.targets,
      proc,
      requests: (t) => this.load.requests(t),
      pssMaxRss: config.pssMaxRss,
      logger,
      keepMs: opts.historyKeepMs,
    });
    this.heaps = new HeapManager({
      config,
      targets: () => this.targets.targets,
      store: this.store,
      sampler: this.sampler,
      logger,
      chooseSource: opts.chooseSource ?? makeChooseSource({ dotnetListener: this.dotnetListener }),
      requests: (t) => this.load.requests(t),
      beforeDump: (t) => this.load.beforeDump(t),
      ledger: this.ledger,
    });
    this.registry = createCollectors({
      config,
      targets: this.targets,
      proc,
      sampler: this.sampler,
      logger,
      heaps: this.heaps,
      load: this.load,
      dotnetListener: this.dotnetListener,
    });
    this.history = new OutcomeHistory({ heaps: this.heaps });
    this.app = createApp({
      registry: this.registry,
      api: {
        targets: () => this.targets.targets,
        heaps: this.heaps,
        store: this.store,
        adminToken: config.adminToken,
        load: this.load,
        ui: { sampler: this.sampler, history: this.history },
      },
    });
  }

  /** Starts watching; with `listen`, also serves HTTP (tests drive `app` with supertest instead). */
  async start({ listen = true } = {}): Promise<void> {
    for (const t of this.config.targets) {
      const problem = await preflightSource(t.heapSource, { command: t.heapCommand, dir: t.heapDir });
      if (problem !== undefined) throw new TargetError(problem);
    }
    await this.store.open().catch((err: NodeJS.ErrnoException) => {
      throw new TargetError(`--data-dir ${this.config.dataDir}: cannot use it: ${err.code ?? err.message}`);
    });
    // Before anything new is made: what killed leakwatch processes left behind goes first.
    this.ledger.open();
    await cleanEarlierRuns({
      dataDir: this.ledger.dataDir,
      ledger: this.ledger,
      memoryMount: (await findMemoryMounts().catch(() => ({ memory: undefined }))).memory,
      log: this.logger,
    }).catch((err: unknown) => this.logger.warn({ err: String(err) }, "cleaning up after earlier leakwatch processes failed"));
    if (listen) await this.listen();
    await this.dotnetListener?.listen();
    try {
      await this.load.start();
      await this.targets.start();
      await this.heaps.start();
      this.history.start();
      this.sampler.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private listen(): Promise<void> {
    const { host, port } = this.config.listen;
    return new Promise((resolve, reject) => {
      const server = this.app.listen(port, host);
      server.once("listening", () => {
        this.server = server;
        const addr = server.address() as AddressInfo;
        this.logger.info({ address: `${addr.address}:${addr.port}` }, "serving /metrics");
        resolve();
      });
      server.once("error", (err: NodeJS.ErrnoException) => {
        const why = err.code === "EADDRINUSE" ? "address already in use" : err.code === "EACCES" ? "permission denied" : err.message;
        reject(new ListenError(`cannot listen on ${host}:${port}: ${why}`));
      });
    });
  }

  get address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  async stop(): Promise<void> {
    // Dumps in flight end first, taking their raw files with them and closing what they opened in the targets (an inspector).
    await this.heaps.stop();
    this.sampler.stop();
    this.history.stop();
    await this.registry.close();
    await this.dotnetListener?.close().catch(() => undefined);
    await this.load.stop();
    await this.targets.stop();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
    this.ledger.close();
  }
}
