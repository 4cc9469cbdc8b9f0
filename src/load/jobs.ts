// What one job of the hammer is: an HTTP request over a keep-alive pool (undici), or a command run as its own
// process (argv as an array, never a shell). A runner never throws: it reports the outcome, and `down` when the
// failure says the target is not there (connection refused, command missing), so that the hammer backs off.
//
// Requests go through undici's dispatch() with a bare handler rather than request(): no Readable body stream and
// no AbortSignal per request, which is most of the client's CPU per request on a fast target (bench/load).
import { spawn } from "node:child_process";
import type { Dispatcher, Pool } from "undici";
import type { Outcome } from "./stats.js";
import { undici } from "./undici.js";

/** One job as the hammer and the runner share it. */
export interface JobControl {
  /** performance.now() when the job started. */
  readonly started: number;
  /** Set by the hammer when it cancels the job (timeout, or shutdown). */
  cancelled?: "timeout" | "stop";
  /** Set by the runner while the job can be cancelled; the hammer calls it after setting `cancelled`. */
  cancel?: () => void;
}

export interface JobResult {
  outcome: Exclude<Outcome, "timeout">;
  /** The target (or the command) is not reachable: back off before the next job. */
  down?: boolean;
  /** Why it failed, short. */
  error?: string;
}

export interface JobRunner {
  readonly kind: "http" | "command";
  /** Runs one job; must settle promptly once cancelled (ctl.cancel, or ctl.cancelled already set when it installs it). */
  run(ctl: JobControl): Promise<JobResult>;
  close(): Promise<void>;
}

export interface HttpJob {
  kind: "http";
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface CommandJob {
  kind: "command";
  argv: string[];
}

export type JobSpec = HttpJob | CommandJob;

/** Connection-level failures: nothing is listening, or it went away. */
const DOWN_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
]);

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && i < 4; i++) {
    if (typeof e.code === "string") return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

const OK: JobResult = { outcome: "ok" };

function failure(err: unknown): JobResult {
  const code = errorCode(err);
  const message = (err as Error)?.message ?? String(err);
  return { outcome: "error", down: code !== undefined && DOWN_CODES.has(code), error: code && !message.includes(code) ? `${code}: ${message}` : message };
}

class Cancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

export class HttpRunner implements JobRunner {
  readonly kind = "http";
  private readonly pool: Pool;
  private readonly options: Dispatcher.DispatchOptions;

  constructor(job: HttpJob) {
    const u = new URL(job.url);
    const headers: Record<string, string> = { ...job.headers };
    if ((u.username || u.password) && !Object.keys(headers).some((k) => k.toLowerCase() === "authorization")) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    }
    this.options = { path: u.pathname + u.search, method: job.method as Dispatcher.HttpMethod, headers, body: job.body ?? null };
    // One pool per target; it opens a connection per concurrent request (the workers bound those) and keeps them.
    this.pool = new (undici().Pool)(u.origin, { pipelining: 1, keepAliveTimeout: 10_000, connect: { timeout: 10_000 } });
  }

  run(ctl: JobControl): Promise<JobResult> {
    return new Promise<JobResult>((resolve) => {
      let status = 0;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          ctl.cancel = () => controller.abort(new Cancelled());
          if (ctl.cancelled) ctl.cancel();
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData() {
          // the body is read and dropped, so that the connection is reused
        },
        onResponseEnd() {
          ctl.cancel = undefined;
          resolve(status < 400 ? OK : { outcome: "error", error: `HTTP ${status}` });
        },
        onResponseError(_controller, err) {
          ctl.cancel = undefined;
          resolve(failure(err));
        },
      };
      try {
        this.pool.dispatch(this.options, handler);
      } catch (err) {
        resolve(failure(err));
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

export class CommandRunner implements JobRunner {
  readonly kind = "command";

  constructor(private readonly job: CommandJob) {}

  run(ctl: JobControl): Promise<JobResult> {
    const [file, ...args] = this.job.argv;
    return new Promise<JobResult>((resolve) => {
      let settled = false;
      const done = (r: JobResult) => {
        if (settled) return;
        settled = true;
        ctl.cancel = undefined;
        resolve(r);
      };
      // Its own process group, so that a timeout kills whatever it started too.
      const child = spawn(file!, args, { stdio: "ignore", detached: true });
      ctl.cancel = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
        done({ outcome: "error", error: "cancelled" });
      };
      if (ctl.cancelled) ctl.cancel();
      child.once("error", (err: NodeJS.ErrnoException) => {
        const missing = err.code === "ENOENT" || err.code === "EACCES";
        done({ outcome: "error", down: missing, error: `cannot run ${file}: ${err.code ?? err.message}` });
      });
      child.once("exit", (code, sig) => {
        if (code === 0) done({ outcome: "ok" });
        else done({ outcome: "error", error: code !== null ? `${file} exited with code ${code}` : `${file} was killed by ${sig}` });
      });
    });
  }

  async close(): Promise<void> {
    // nothing held between jobs
  }
}

export function createRunner(job: JobSpec): JobRunner {
  return job.kind === "http" ? new HttpRunner(job) : new CommandRunner(job);
}
