// A child process whose output a test reads line by line (targets that print their own counts).
import { execa, type ResultPromise } from "execa";

/** A child process whose stdout/stderr are read line by line. */
export class LineProcess {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  protected waiters: Array<() => void> = [];

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

  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** How the process ended ("exit 1", "signal SIGSEGV"), or undefined while it runs. */
  get exit(): string | undefined {
    if (this.proc.signalCode) return `signal ${this.proc.signalCode}`;
    if (this.proc.exitCode !== null && this.proc.exitCode !== undefined) return `exit ${this.proc.exitCode}`;
    return undefined;
  }

  static spawnLines(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LineProcess {
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
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${re} (stdout: ${this.lines.slice(-3).join(" | ")}; stderr: ${this.errLines.slice(-3).join(" | ")})`);
      if (this.exited) throw new Error(`process ended (${this.exit}) before ${re}; stderr: ${this.errLines.slice(-3).join(" | ")}`);
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
    if (this.exited) return;
    this.proc.kill("SIGKILL");
    await this.proc.catch(() => undefined);
  }
}
