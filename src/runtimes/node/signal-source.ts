// V8 heap source for Node targets that opted in with `--heapsnapshot-signal=SIGUSR2` (on the command line or in
// NODE_OPTIONS): send the signal, wait for the snapshot file in --diagnostic-dir (or the target's working
// directory), stream it through the V8 parser, and hand it to disposeRaw.
//
// Safety: the signal is sent only when (1) the process is a Node process, (2) its own options name that signal
// (flags after the script name do not count), and (3) /proc/PID/status shows a handler installed for it: a Node
// process still starting up, or any process that did not opt in, would be killed by SIGUSR2.
//
// Disk: the target writes the snapshot itself, and a write that fails (ENOSPC) makes Node exit with code 1. So the
// signal is sent only when the directory's filesystem has room for the snapshot (its estimated size plus a margin);
// otherwise the dump is skipped (insufficient_disk).
//
// Completion: Node creates the file (0 bytes) when it starts the snapshot and writes it over a long time. The
// file is complete when it ends with the `]}` trailer AND no file descriptor of the target points at it AND its
// size has not changed between two looks.
import { createReadStream } from "node:fs";
import { chmod, open, readdir, stat, statfs } from "node:fs/promises";
import path from "node:path";
import { ParseError } from "../../model/parse-error.js";
import { createV8SnapshotParser } from "./snapshot.js";
import { DumpError, type DumpBody, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import { asDumpError } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import type { DumpLimits } from "../../formats/limits.js";
import { abortError, checkAborted, sleepAbortable } from "../../runtime-kit/abort.js";
import { requireTarget, targetExited, type TargetIdentity } from "../../runtime-kit/target.js";
import { v8SnapshotCost, v8SnapshotFileSize } from "./cost.js";
import { quoteNodeOption, readNodeFlags, splitNodeOptions } from "./flags.js";
import { isRuntime } from "../../runtime-kit/detect.js";
import { NODE_SIGNATURE } from "./signature.js";

export interface V8SignalSourceOptions {
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** How often the directory and the file are looked at (default 100 ms). */
  pollMs?: number;
  /** Caps on the snapshot read (its distinct names). */
  limits?: Pick<DumpLimits, "maxTypes">;
}

/**
 * NODE_OPTIONS for a Node target leakwatch launches itself, so that it can be dumped with this source:
 * the existing NODE_OPTIONS (from baseEnv) plus `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR`
 * (quoted as Node's NODE_OPTIONS parser expects when DIR has spaces, quotes or backslashes). Earlier
 * --heapsnapshot-signal / --diagnostic-dir options are replaced.
 */
export function v8SignalLaunchEnv(dir: string, baseEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const existing = splitNodeOptions(baseEnv.NODE_OPTIONS ?? "");
  const kept: string[] = [];
  for (let i = 0; i < existing.length; i++) {
    const tok = existing[i]!;
    const name = tok.split("=")[0]!.replace(/_/g, "-");
    if (name === "--heapsnapshot-signal" || name === "--diagnostic-dir") {
      if (!tok.includes("=")) i++; // its value is the next word
      continue;
    }
    kept.push(quoteNodeOption(tok));
  }
  kept.push("--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${quoteNodeOption(dir)}`);
  return { NODE_OPTIONS: kept.join(" ") };
}

const TRAILER = "]}";

/** Node's names for the snapshots it writes: Heap.<yyyymmdd>.<hhmmss>.<pid>.<thread>.<seq>.heapsnapshot. */
export const SNAPSHOT_NAME = /^Heap\.\d{8}\.\d{6}\.(\d+)\.\d+\.(\d+)\.heapsnapshot$/;

/** Kept free on the snapshot's filesystem beyond its estimated size (the summaries, other writers). */
export const DISK_MARGIN = 16 * 1024 * 1024;

export class V8SignalSource implements HeapSource {
  readonly name = "v8";
  private readonly proc: ProcFs;
  private readonly pollMs: number;
  private readonly limits: Pick<DumpLimits, "maxTypes"> | undefined;
  /** The last snapshot file of each process (pid:startTime) and its anonymous memory after it, for the disk check. */
  private readonly lastFiles = new Map<string, { bytes: number; anonAfter: number }>();

  constructor(options: V8SignalSourceOptions = {}) {
    this.proc = options.proc ?? new ProcFs();
    this.limits = options.limits;
    this.pollMs = options.pollMs ?? 100;
  }

  /** V8 builds the snapshot graph in the target: see v8SnapshotCost. */
  memoryCost(ctx: MemoryCostContext): Promise<number> {
    return v8SnapshotCost(this.proc, ctx.pid, ctx.rss, ctx.lastObjects, ctx.learned, ctx.rising);
  }

  async dump(ctx: DumpContext): Promise<DumpBody> {
    const id = await requireTarget(this.proc, ctx.pid);
    if ((await isRuntime(this.proc, ctx.pid, NODE_SIGNATURE)) !== true) {
      throw new DumpError("not_supported", `process ${ctx.pid} is not recognisably a Node process (no node executable or libnode.so)`);
    }
    const flags = await readNodeFlags(this.proc, ctx.pid, ctx.command);
    const sig = flags.heapsnapshotSignal;
    if (sig === undefined) {
      throw new DumpError(
        "not_supported",
        `process ${ctx.pid} was not started with --heapsnapshot-signal (in its options or NODE_OPTIONS); not sending any signal`,
      );
    }
    if (!(await this.proc.signalMask(ctx.pid, sig, "SigCgt"))) {
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the dump");
      throw new DumpError(
        "not_supported",
        `process ${ctx.pid} has --heapsnapshot-signal=${sig} but no handler for ${sig} installed yet (still starting?); not sending it`,
      );
    }
    const dir = await this.snapshotDir(ctx.pid, flags.diagnosticDir);
    const before = await this.listSnapshots(dir);
    const key = `${id.pid}:${id.startTime}`;
    await this.checkDisk(ctx, dir, key);
    checkAborted(ctx.signal);

    // Recorded before the signal: should leakwatch die before it finds the file, its next start still can.
    const cancel = ctx.record?.requested(dir, ctx.pid, SNAPSHOT_NAME, before);
    try {
      process.kill(ctx.pid, sig);
    } catch (err) {
      cancel?.();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ESRCH") throw targetExited(ctx.pid, "the dump");
      throw new DumpError("attach_failed", `cannot send ${sig} to process ${ctx.pid}: ${(err as Error).message} (leakwatch must run as the same user or root)`);
    }

    let file: string | undefined;
    let parsed = false;
    try {
      file = await this.waitForNewFile(ctx, id, dir, before);
      ctx.record?.file(file);
      // The snapshot holds everything in the target's heap (tokens, personal data): owner-only at once.
      await chmod(file, 0o600).catch((err: Error) => ctx.logger.warn({ file, err: err.message }, "cannot chmod heap snapshot to 0600"));
      const bytes = await this.waitForComplete(ctx, id, file);
      const body = await this.parse(file, ctx.signal, ctx.graph === true);
      parsed = true;
      if (this.lastFiles.size >= 64) this.lastFiles.clear();
      this.lastFiles.set(key, { bytes, anonAfter: (await this.anon(ctx.pid)) ?? 0 });
      await ctx.disposeRaw(file);
      return body;
    } catch (err) {
      if (err instanceof DumpError && err.reason === "parse_error" && !(await this.proc.stillAlive(id))) {
        throw targetExited(ctx.pid, "the heap snapshot");
      }
      throw asDumpError(err, `heap snapshot of process ${ctx.pid}`);
    } finally {
      // A snapshot we caused must not stay behind to fill the disk, even when incomplete or unparsable.
      if (file !== undefined && !parsed) await ctx.disposeRaw(file).catch(() => undefined);
    }
  }

  /** Refuses (insufficient_disk) when the snapshot would not fit in the free space of dir's filesystem. */
  private async checkDisk(ctx: DumpContext, dir: string, key: string): Promise<void> {
    let free: number;
    try {
      const fs = await statfs(dir);
      free = fs.bavail * fs.bsize;
    } catch (err) {
      ctx.logger.warn({ dir, err: (err as Error).message }, "cannot read the free space where the target writes its heap snapshot");
      return;
    }
    // For the heap the target will have when it gets to the signal (a busy target may still be growing it).
    const need = v8SnapshotFileSize(((await this.anon(ctx.pid)) ?? 0) + (ctx.rising ?? 0), this.lastFiles.get(key));
    if (need + DISK_MARGIN > free) {
      throw new DumpError(
        "insufficient_disk",
        `the heap snapshot of process ${ctx.pid} needs about ${need} bytes plus a ${DISK_MARGIN}-byte margin in ${dir}, which has ${free} free ` +
          `(the target writes it itself, and a full disk would make it exit); not sending the signal`,
      );
    }
  }

  private async anon(pid: number): Promise<number | undefined> {
    const mem = await this.proc.memoryOrEmpty(pid);
    return mem.rssAnon ?? mem.rss;
  }

  /** Where Node writes the snapshot: --diagnostic-dir (relative to the target's cwd) or the target's cwd. */
  private async snapshotDir(pid: number, diagnosticDir: string | undefined): Promise<string> {
    let cwd: string | undefined;
    if (diagnosticDir === undefined || !path.isAbsolute(diagnosticDir)) {
      try {
        cwd = await this.proc.cwd(pid);
      } catch (err) {
        throw new DumpError("attach_failed", `cannot read the working directory of process ${pid}: ${(err as Error).message}`);
      }
    }
    const dir = diagnosticDir === undefined ? cwd! : path.resolve(cwd ?? "/", diagnosticDir);
    // The target may live in another mount namespace (a container): its paths are under /proc/PID/root then.
    const viaRoot = this.proc.viaRoot(pid, dir);
    try {
      const [a, b] = await Promise.all([stat(dir).catch(() => undefined), stat(viaRoot)]);
      if (a === undefined || a.dev !== b.dev || a.ino !== b.ino) return viaRoot;
    } catch {
      // /proc/PID/root unreadable: use the path as it is
    }
    return dir;
  }

  private async listSnapshots(dir: string): Promise<Set<string>> {
    try {
      return new Set((await readdir(dir)).filter((n) => n.endsWith(".heapsnapshot")));
    } catch (err) {
      throw new DumpError("io_error", `cannot read the target's snapshot directory ${dir}: ${(err as Error).message}`);
    }
  }

  private async waitForNewFile(ctx: DumpContext, id: TargetIdentity, dir: string, before: Set<string>): Promise<string> {
    const pidTag = `.${ctx.pid}.`;
    for (;;) {
      await sleepAbortable(this.pollMs, ctx.signal);
      const fresh = [...(await this.listSnapshots(dir))].filter((n) => !before.has(n));
      // Node names it Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot; prefer the target's own.
      const mine = fresh.filter((n) => n.includes(pidTag));
      const pick = (mine.length > 0 ? mine : fresh).sort().pop();
      if (pick !== undefined) return path.join(dir, pick);
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the heap snapshot");
    }
  }

  /** Resolves with the file's size once it is complete. */
  private async waitForComplete(ctx: DumpContext, id: TargetIdentity, file: string): Promise<number> {
    let lastSize = -1;
    for (;;) {
      await sleepAbortable(this.pollMs, ctx.signal);
      let size: number;
      let ino: number;
      let dev: number;
      try {
        const st = await stat(file);
        size = st.size;
        ino = st.ino;
        dev = st.dev;
      } catch (err) {
        throw new DumpError("io_error", `heap snapshot ${file} disappeared or cannot be read: ${(err as Error).message}`);
      }
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the heap snapshot");
      const stable = size === lastSize;
      lastSize = size;
      if (!stable || size < TRAILER.length) continue;
      if (!(await endsWithTrailer(file, size))) continue;
      if (await this.heldOpen(ctx.pid, dev, ino)) continue;
      return size;
    }
  }

  /** True when a file descriptor of the process refers to the file (false also when fds cannot be read). */
  private async heldOpen(pid: number, dev: number, ino: number): Promise<boolean> {
    let fds: string[];
    try {
      fds = await this.proc.fds(pid);
    } catch {
      return false; // cannot see: rely on trailer + stable size
    }
    for (const fd of fds) {
      try {
        const st = await stat(this.proc.fdPath(pid, fd));
        if (st.ino === ino && st.dev === dev) return true;
      } catch {
        // fd closed meanwhile
      }
    }
    return false;
  }

  private async parse(file: string, signal: AbortSignal, graph: boolean): Promise<DumpBody> {
    const parser = createV8SnapshotParser(this.limits, { graph });
    const stream = createReadStream(file, { highWaterMark: 1 << 20, signal });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) parser.write(chunk);
    } catch (err) {
      if (signal.aborted) throw abortError();
      if (err instanceof ParseError) throw err;
      throw new DumpError("io_error", `reading heap snapshot ${file}: ${(err as Error).message}`);
    } finally {
      stream.destroy();
    }
    const summary = parser.end();
    return graph ? { ...summary, graph: parser.graph() } : summary;
  }
}

async function endsWithTrailer(file: string, size: number): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const n = Math.min(size, 64);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, size - n);
    return buf.toString("latin1").trimEnd().endsWith(TRAILER);
  } finally {
    await fh.close();
  }
}
