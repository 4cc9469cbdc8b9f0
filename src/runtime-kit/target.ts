// The target's identity across a dump: pid plus start time, since a pid can be reused while a dump runs.
import { DumpError } from "../model/dump.js";
import type { ProcFs, ProcessIdentity } from "../procfs/process.js";

/** Identity of a live process: pid plus start time (pids are reused). */
export type TargetIdentity = ProcessIdentity;

/** The identity of the target at the start of a dump, or DumpError("target_exited") when it is gone. */
export async function requireTarget(proc: ProcFs, pid: number): Promise<TargetIdentity> {
  const id = await proc.identity(pid);
  if (id === undefined) throw new DumpError("target_exited", `process ${pid} is not running`);
  return id;
}

export function targetExited(pid: number, during: string): DumpError {
  return new DumpError("target_exited", `process ${pid} exited during ${during}`);
}
