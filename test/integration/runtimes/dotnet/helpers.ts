// Shared by the dotnet tests: building the C# target program once (cached in the temp dir, keyed by a hash of its
// sources and the SDK version), running it under line-oriented control, and a DumpContext for the sources.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { which } from "../../../helpers/env.js";

import { LineProcess } from "../../../helpers/line-process.js";
import { makeContext as makeDumpContext, type TestContext } from "../../../helpers/dump-context.js";

export const targetSources = path.resolve(__dirname, "../../../fixtures/dotnet/targets");

/** null when the .NET SDK is usable here; otherwise why not (tests print it and skip). */
export function dotnetMissing(): string | null {
  if (!which("dotnet")) return "dotnet (the .NET SDK) is not installed";
  return null;
}

// No build servers left running after the tests (MSBuild node reuse, the compiler server).
const DOTNET_ENV = { DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1", DOTNET_CLI_USE_MSBUILD_SERVER: "0" };

/**
 * Builds test/fixtures/dotnet/targets (one program, "leak" and "steady" modes) and returns the path of
 * LeakTarget.dll. The output is cached in $TMPDIR/leakwatch-dotnet-targets/<hash of sources + SDK version>, so
 * only the first test file of a run (and only after a change) pays for `dotnet build` (~15-40 s).
 */
export function buildTargets(): string {
  return buildProgram(targetSources, "LeakTarget");
}

/** Builds test/fixtures/dotnet/bigheap (a large heap of known counts) and returns the path of BigHeap.dll. */
export function buildBigHeap(): string {
  return buildProgram(bigHeapSources, "BigHeap");
}

export const bigHeapSources = path.resolve(__dirname, "../../../fixtures/dotnet/bigheap");

/** Builds the C# project `name`.csproj in `sources` (cached as buildTargets says) and returns the path of its dll. */
export function buildProgram(sources: string, name: string): string {
  const sdk = execFileSync("dotnet", ["--version"], { encoding: "utf8", env: { ...process.env, ...DOTNET_ENV } }).trim();
  const h = createHash("sha256").update(sdk);
  for (const f of readdirSync(sources).sort()) {
    if (!/\.(cs|csproj)$/.test(f)) continue;
    h.update(f).update(readFileSync(path.join(sources, f)));
  }
  const root = path.join(tmpdir(), "leakwatch-dotnet-targets");
  const final = path.join(root, h.digest("hex").slice(0, 16));
  const dll = path.join(final, "out", `${name}.dll`);
  if (existsSync(dll)) return dll;
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(path.join(root, "build-"));
  try {
    cpSync(sources, path.join(work, "src"), { recursive: true, filter: (src) => !/[\\/](bin|obj)$/.test(src) });
    execFileSync(
      "dotnet",
      [
        "build",
        path.join(work, "src", `${name}.csproj`),
        "-c",
        "Release",
        "-o",
        path.join(work, "out"),
        "-nologo",
        "-v",
        "q",
        "-nodeReuse:false",
        "-p:UseSharedCompilation=false",
      ],
      {
        env: { ...process.env, ...DOTNET_ENV },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 300_000,
      },
    );
    rmSync(path.join(work, "src"), { recursive: true, force: true });
    try {
      renameSync(work, final);
    } catch {
      // Another test file built it at the same time: theirs is as good.
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(dll)) throw new Error(`dotnet build did not produce ${dll}`);
  return dll;
}

export interface Status {
  iterations: number;
  leaked: number;
  transientLive: number;
  cache: number;
}

/** The C# target under line control: "iterate N" / "status" / "ballast N" / "quit". */
export class DotnetTarget extends LineProcess {
  /** The target's pid when it is not the spawned process itself (e.g. under unshare). */
  hostPid: number | undefined;

  static async start(dll: string, mode: "leak" | "steady", env: NodeJS.ProcessEnv = {}): Promise<DotnetTarget> {
    return DotnetTarget.spawn("dotnet", [dll, mode], env);
  }

  /** Runs any command that ends up running the target (a wrapper such as unshare), reading its stdout. */
  static async spawn(file: string, args: string[], env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 30_000): Promise<DotnetTarget> {
    const proc = execa(file, args, { stdin: "pipe", buffer: false, reject: false, env: { ...DOTNET_ENV, ...env } });
    const t = new DotnetTarget(proc);
    await t.waitLine(/^ready pid=\d+/, readyTimeoutMs);
    return t;
  }

  override get pid(): number {
    return this.hostPid ?? this.proc.pid!;
  }

  /** Sends a command and waits for its "ok …" line. */
  async command(line: string, timeoutMs = 30_000): Promise<string> {
    const from = this.lines.length;
    this.proc.stdin!.write(`${line}\n`);
    return (await this.waitLine(/^(ok|error)\b.*/, timeoutMs, { from }))[0];
  }

  async iterate(n: number): Promise<Status> {
    return parseStatus(await this.command(`iterate ${n}`));
  }

  async status(): Promise<Status> {
    return parseStatus(await this.command("status"));
  }

  /** Ends the target: "quit" first (the runtime then removes its diagnostic socket), SIGKILL after 2 s. */
  override async kill(): Promise<void> {
    if (this.exited) return;
    try {
      this.proc.stdin?.write("quit\n");
      this.proc.stdin?.end();
    } catch {
      // stdin already closed
    }
    const gone = await Promise.race([
      this.proc.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
    ]);
    if (!gone) {
      if (this.hostPid !== undefined) {
        try {
          process.kill(this.hostPid, "SIGKILL");
        } catch {
          // gone
        }
      }
      this.proc.kill("SIGKILL");
      await this.proc.catch(() => undefined);
    }
  }

  /** Ends the target abruptly (SIGKILL), as a crash would. */
  async crash(): Promise<void> {
    if (this.exited) return;
    if (this.hostPid !== undefined) process.kill(this.hostPid, "SIGKILL");
    this.proc.kill("SIGKILL");
    await this.proc.catch(() => undefined);
  }
}

function parseStatus(line: string): Status {
  const m = /^ok iterations=(\d+) leaked=(\d+) transient_live=(\d+) cache=(\d+)$/.exec(line);
  if (!m) throw new Error(`unexpected status line: ${line}`);
  return { iterations: Number(m[1]), leaked: Number(m[2]), transientLive: Number(m[3]), cache: Number(m[4]) };
}

export type { TestContext } from "../../../helpers/dump-context.js";

/** A dump context for the C# target (the shared one, with its command line). */
export function makeContext(pid: number, timeoutMs = 60_000): TestContext {
  return makeDumpContext(pid, "dotnet LeakTarget.dll", timeoutMs);
}

export function rowOf(body: { types: Array<{ type: string; count: number; bytes: number }> }, type: string) {
  return body.types.find((t) => t.type === type);
}

export const NS = "Leakwatch.Targets.";
