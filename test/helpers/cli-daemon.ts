// The built `leakwatch` as a real process (not the in-process Daemon of daemon.ts): for the fault-injection tests,
// which need what a user gets, signals and exit codes included. It listens on a free loopback port, found from its
// "serving /metrics" log line.
import { execa, type ResultPromise } from "execa";
import { BIN } from "./cli.js";
import { waitFor } from "./env.js";

export interface CliDaemon {
  /** http://127.0.0.1:PORT */
  url: string;
  pid: number;
  proc: ResultPromise<{ reject: false; all: true }>;
  /** Everything it has written to stderr so far (JSON log lines). */
  log(): string;
  get(path: string): Promise<Response>;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | undefined>;
}

export async function startCliDaemon(args: string[], opts: { env?: Record<string, string>; startTimeoutMs?: number } = {}): Promise<CliDaemon> {
  const proc = execa(process.execPath, [BIN, "--listen", "127.0.0.1:0", "--log-level", "info", ...args], {
    reject: false,
    all: true,
    stdin: "pipe",
    env: { ...opts.env },
  });
  let out = "";
  proc.all.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  let exited = false;
  void proc.then(() => {
    exited = true;
  });
  const port = await waitFor(
    async () => {
      if (exited) throw new Error(`leakwatch exited before serving:\n${out}`);
      const m = /"address":"127\.0\.0\.1:(\d+)","msg":"serving \/metrics"/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
    opts.startTimeoutMs ?? 30_000,
    "leakwatch serving /metrics",
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: proc.pid!,
    proc,
    log: () => out,
    get: (path) => fetch(`${url}${path}`),
    async stop() {
      if (!exited) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const r = await proc;
      clearTimeout(timer);
      return r.exitCode;
    },
  };
}
