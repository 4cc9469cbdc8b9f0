// A dump's abort signal (timeout or shutdown) turned into the "timeout" DumpError every source reports.
import path from "node:path";
import { DumpError } from "../model/dump.js";

export function abortError(what?: string): DumpError {
  return new DumpError("timeout", what ? `dump aborted (timeout or shutdown); ${path.basename(what)} was killed` : "dump aborted (timeout or shutdown)");
}

/** Throws the timeout DumpError when the signal is aborted. */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError();
}

/** Sleeps, throwing the timeout DumpError when the signal is aborted first. */
export function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError());
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
