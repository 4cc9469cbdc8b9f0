// Starting the daemon from a command line, the same way for `serve` and `run`: load the config, create the logger
// and the Daemon, take over Ctrl-C and SIGTERM, start. What ends the session and how is up to the command.
import type { Logger } from "pino";
import { loadConfig, type CliArgs } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { Daemon } from "../daemon.js";
import { createLogger } from "../util/logger.js";

export interface Session {
  readonly config: Config;
  readonly logger: Logger;
  readonly daemon: Daemon;
  /**
   * Ends the session: `finish` (stopping the daemon, writing a report…) runs once, after the daemon has started (so
   * stopping never races starting), and what it returns is the exit code `done` resolves with. Later calls get the
   * first call's result. From now on a signal exits at once (130).
   */
  end(finish: () => Promise<number>): Promise<number>;
  /** The exit code, once the session has ended. */
  readonly done: Promise<number>;
  /** True from the first signal or `end` call on. */
  readonly ending: boolean;
}

export interface BootOptions {
  /** The command's own defaults for global settings, below the config file, the environment and the flags. */
  defaults?: Record<string, unknown>;
  /** Adjusts or checks the loaded config before anything is created (throw a UsageError to refuse it). */
  prepare?: (config: Config) => void;
  /** How much live history the daemon keeps (the Daemon's default otherwise). */
  historyKeepMs?: number;
  /** The signal launched targets get on Ctrl-C or SIGTERM; default: the one received. */
  forwardAs?: NodeJS.Signals;
  /** Every launched target has finished (after --linger); `status` is the main one's exit code. May come before boot returns. */
  onAllExited: (session: Session, status: number) => void;
  /**
   * The first Ctrl-C or SIGTERM, already forwarded to launched targets (`forwarded`: there were some). It may come
   * while the daemon is still starting, before boot has returned.
   */
  onInterrupt: (session: Session, signal: NodeJS.Signals, forwarded: boolean) => void;
}

/** Loads the config from `cli`, starts a Daemon on it and returns the running session. Errors are left to exit.ts. */
export async function boot(cli: CliArgs, opts: BootOptions): Promise<Session> {
  const config = loadConfig(cli, process.env, [], opts.defaults);
  // State files live in the data dir as given (a run's own folder under it is new each time).
  const stateDir = config.dataDir;
  opts.prepare?.(config);
  const logger = createLogger(config.logLevel);

  let ending = false;
  let ready: Promise<unknown> = Promise.resolve();
  let finishing: Promise<number> | undefined;
  let settle!: { resolve: (code: number) => void; reject: (err: unknown) => void };
  const done = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  const daemon = new Daemon(config, logger, {
    onAllExited: (status) => opts.onAllExited(session, status),
    historyKeepMs: opts.historyKeepMs,
    stateDir,
  });
  const session: Session = {
    config,
    logger,
    daemon,
    done,
    get ending() {
      return ending;
    },
    end(finish) {
      ending = true;
      if (!finishing) {
        finishing = ready.then(finish);
        finishing.then(settle.resolve, settle.reject);
      }
      return finishing;
    },
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C (or any signal once the session is ending) means now.
    if (ending) process.exit(130);
    ending = true;
    logger.info({ signal }, "stopping");
    // Launched targets get the signal at once; what else happens is the command's choice.
    opts.onInterrupt(session, signal, daemon.targets.forward(opts.forwardAs ?? signal));
  };
  const starting = daemon.start();
  // `end` waits for start, not for its success: a failed start is the command's error, reported by exit.ts.
  ready = starting.catch(() => undefined);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  await starting;
  return session;
}
