// Shared by the heap source tests: a DumpContext with a private directory, and line-oriented child processes.
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
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

export { LineProcess } from "../../helpers/line-process.js";

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

/**
 * Per-test scratch space for source tests: temporary directories and stand-in target processes (`sleep 30`), all
 * removed by cleanup() (call it from afterEach).
 */
export function scratch() {
  const dirs: string[] = [];
  const kids: Array<ReturnType<typeof execa>> = [];
  return {
    tmp(prefix: string): string {
      const d = mkdtempSync(path.join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    /** A plain process to stand in for a target; returns its pid. */
    sleeper(): number {
      const c = execa("sleep", ["30"], { reject: false });
      kids.push(c);
      return c.pid!;
    },
    async cleanup(): Promise<void> {
      for (const c of kids.splice(0)) {
        c.kill("SIGKILL");
        await c;
      }
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

