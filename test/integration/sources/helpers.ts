// Shared by the heap source tests: a DumpContext with a private directory, and line-oriented child processes.
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { pino } from "pino";
import type { DumpContext } from "../../../src/heap/source.js";

export const targetsDir = path.resolve(__dirname, "../../fixtures/targets");

export interface TestContext extends DumpContext {
  /** Files passed to disposeRaw, with their mode (octal string) at that moment. */
  disposed: Array<{ file: string; mode: string }>;
  controller: AbortController;
  cleanup(): void;
}

export function makeContext(pid: number, command: string, timeoutMs = 30_000): TestContext {
  const privateDir = mkdtempSync(path.join(tmpdir(), "lw-src-"));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("test dump timeout")), timeoutMs);
  const disposed: TestContext["disposed"] = [];
  return {
    pid,
    command,
    signal: controller.signal,
    privateDir,
    logger: pino({ level: "silent" }),
    disposed,
    controller,
    async disposeRaw(file: string) {
      const mode = (statSync(file).mode & 0o777).toString(8);
      disposed.push({ file, mode });
      unlinkSync(file);
    },
    cleanup() {
      clearTimeout(timer);
      rmSync(privateDir, { recursive: true, force: true });
    },
  };
}

/** A child process whose stdout/stderr are read line by line. */
export class LineProcess {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly proc: ResultPromise<{ stdin: "pipe"; buffer: false; reject: false }>) {
    const feed = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
      let buf = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          into.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        for (const w of this.waiters.splice(0)) w();
      });
    };
    feed(proc.stdout, this.lines);
    feed(proc.stderr, this.errLines);
    proc.catch(() => undefined);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  static start(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LineProcess {
    const proc = execa(file, args, { stdin: "pipe", buffer: false, reject: false, cwd: opts.cwd, env: opts.env });
    return new LineProcess(proc);
  }

  /** Waits for a line (stdout, or stderr when fromStderr) matching re, after index `from`; returns its match. */
  async waitLine(re: RegExp, timeoutMs = 20_000, opts: { from?: number; stderr?: boolean } = {}): Promise<RegExpExecArray> {
    const src = opts.stderr ? this.errLines : this.lines;
    const end = Date.now() + timeoutMs;
    for (;;) {
      for (let i = opts.from ?? 0; i < src.length; i++) {
        const m = re.exec(src[i]!);
        if (m) return m;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} (stdout: ${this.lines.slice(-3).join(" | ")}; stderr: ${this.errLines.slice(-3).join(" | ")})`);
      if (this.proc.exitCode !== undefined && this.proc.exitCode !== null) throw new Error(`process exited (${this.proc.exitCode}) before ${re}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode !== null && this.proc.exitCode !== undefined) return;
    this.proc.kill("SIGKILL");
    await this.proc.catch(() => undefined);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

export function rowOf(body: { types: Array<{ type: string; count: number; bytes: number }> }, type: string) {
  return body.types.find((t) => t.type === type);
}
