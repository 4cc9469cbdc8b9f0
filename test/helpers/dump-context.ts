// A DumpContext for heap-source tests: a private temp dir, an abort timeout, and a record of disposed raw files.
import { mkdtempSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import type { DumpContext } from "../../src/model/dump.js";

export interface TestContext extends DumpContext {
  /** Files passed to disposeRaw, with their mode (octal string) and size at that moment. */
  disposed: Array<{ file: string; mode: string; size: number }>;
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
      const st = statSync(file);
      disposed.push({ file, mode: (st.mode & 0o777).toString(8), size: st.size });
      unlinkSync(file);
    },
    cleanup() {
      clearTimeout(timer);
      rmSync(privateDir, { recursive: true, force: true });
    },
  };
}
