// What this machine can do for tests. A test that needs something missing skips with the reason printed.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmdirSync, readFileSync } from "node:fs";
import path from "node:path";

export function which(cmd: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let cgroupReason: string | null | undefined;

/** null when leakwatch can create memory cgroups here; otherwise why not. */
export function memoryCgroupUnavailable(): string | null {
  if (cgroupReason !== undefined) return cgroupReason;
  if (process.getuid?.() !== 0) return (cgroupReason = "not root: cannot create memory cgroups");
  try {
    const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
    const line = mountinfo.split("\n").find((l) => / - cgroup .*\bmemory\b/.test(l));
    if (!line) return (cgroupReason = "no v1 memory cgroup mounted (v2-only hosts are covered by fixture tests)");
    const own =
      readFileSync("/proc/self/cgroup", "utf8")
        .split("\n")
        .find((l) => /:memory:/.test(l))
        ?.split(":")[2] ?? "/";
    const mountPoint = line.split(" ")[4]!;
    const probe = path.join(mountPoint, own, `lw-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return (cgroupReason = null);
  } catch (err) {
    return (cgroupReason = `cannot create a memory cgroup: ${(err as Error).message}`);
  }
}

/** Prints the reason a test is skipped, so skips are never silent. */
export function skipReason(what: string, reason: string | null | undefined): boolean {
  if (reason) console.warn(`SKIP ${what}: ${reason}`);
  return !!reason;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
