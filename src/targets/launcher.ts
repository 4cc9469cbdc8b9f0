// Launches a target command, optionally inside a memory cgroup, and reports its exits. The command's words are
// passed as an argv array, never through a shell string.
import type { ResultPromise } from "execa";
import { constants } from "node:os";
import type { Logger } from "pino";
import type { ExitInfo } from "./target.js";

// Joins the cgroup before exec so that every byte the target allocates is charged to it (as cgexec does).
// The script is a constant; the procs file and the command arrive as positional parameters, never as code.
export const JOIN_AND_EXEC = 'echo $$ > "$0" || exit 125; exec "$@"';

export interface LaunchOptions {
  command: string[];
  /** cgroup.procs file of the cgroup to start in. */
  procsFile?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class Launched {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ResultPromise;

  /** Loads execa on first use (a daemon that launches nothing never needs it) and starts the command. */
  static async start(opts: LaunchOptions): Promise<Launched> {
    const { execa } = await import("execa");
    return new Launched(opts, execa);
  }

  private constructor(opts: LaunchOptions, execa: typeof import("execa").execa) {
    const [file, ...args] = opts.command;
    const argv = opts.procsFile ? ["/bin/sh", "-c", JOIN_AND_EXEC, opts.procsFile, file!, ...args] : [file!, ...args];
    this.child = execa(argv[0]!, argv.slice(1), {
      stdio: "inherit",
      reject: false,
      // Should leakwatch itself die, the target goes with it rather than running on unwatched.
      cleanup: true,
      env: opts.env,
      cwd: opts.cwd,
      extendEnv: true,
    });
    if (this.child.pid === undefined) {
      // Spawning failed synchronously (e.g. ENOENT); the result promise carries the reason.
      this.pid = -1;
    } else {
      this.pid = this.child.pid;
    }
    this.exited = this.child.then((r) => {
      const signal = r.signal ?? null;
      const code = r.exitCode ?? null;
      const signo = signal ? ((constants.signals as Record<string, number>)[signal] ?? 0) : 0;
      if (r.failed && code === null && !signal) {
        opts.logger.error({ command: opts.command, err: r.shortMessage }, "target could not be started");
      }
      return { code, signal, status: signal ? 128 + signo : (code ?? 1), at: Date.now() };
    });
  }

  kill(signal: NodeJS.Signals): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }
}
