// Shared by the heap source tests: a DumpContext with a private directory, and line-oriented child processes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";

export const targetsDir = path.resolve(__dirname, "../fixtures/targets");

export { makeContext, type TestContext } from "./dump-context.js";

export { LineProcess } from "./line-process.js";

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
