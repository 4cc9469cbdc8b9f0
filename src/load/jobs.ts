// What one job of the hammer is: an HTTP request over a keep-alive pool (undici), or a command run as its own
// process (argv as an array, never a shell). A runner never throws: it reports the outcome, and `down` when the
// failure says the target is not there (connection refused, command missing), so that the hammer backs off.
import { spawn } from "node:child_process";
import { Pool } from "undici";
import type { Outcome } from "./stats.js";

export interface JobResult {
  outcome: Exclude<Outcome, "timeout">;
  /** The target (or the command) is not reachable: back off before the next job. */
  down?: boolean;
  /** Why it failed, short. */
  error?: string;
}

export interface JobRunner {
  readonly kind: "http" | "command";
  /** Runs one job; must settle promptly once `signal` aborts (the hammer's timeout or stop). */
  run(signal: AbortSignal): Promise<JobResult>;
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

export class HttpRunner implements JobRunner {
  readonly kind = "http";
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly job: HttpJob) {
    const u = new URL(job.url);
    this.path = u.pathname + u.search;
    const headers: Record<string, string> = { ...job.headers };
    if (u.username || u.password) {
      headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    }
    this.headers = headers;
    // One pool per target; it opens a connection per concurrent request (the workers bound those) and keeps them.
    this.pool = new Pool(u.origin, { pipelining: 1, keepAliveTimeout: 10_000, connect: { timeout: 10_000 } });
  }

  async run(signal: AbortSignal): Promise<JobResult> {
    try {
      const res = await this.pool.request({
        path: this.path,
        method: this.job.method as "GET",
        headers: this.headers,
        body: this.job.body,
        signal,
      });
      // Read the whole answer so that the connection is reused.
      for await (const _ of res.body) {
        // discard
      }
      if (res.statusCode >= 400) return { outcome: "error", error: `HTTP ${res.statusCode}` };
      return { outcome: "ok" };
    } catch (err) {
      const code = errorCode(err);
      const message = (err as Error).message ?? String(err);
      return { outcome: "error", down: code !== undefined && DOWN_CODES.has(code), error: code && !message.includes(code) ? `${code}: ${message}` : message };
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

export class CommandRunner implements JobRunner {
  readonly kind = "command";

  constructor(private readonly job: CommandJob) {}

  run(signal: AbortSignal): Promise<JobResult> {
    const [file, ...args] = this.job.argv;
    return new Promise<JobResult>((resolve) => {
      let settled = false;
      const done = (r: JobResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(r);
      };
      // Its own process group, so that a timeout kills whatever it started too.
      const child = spawn(file!, args, { stdio: "ignore", detached: true });
      const onAbort = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
        done({ outcome: "error", error: "aborted" });
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
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
