// A worker thread runs a compiled .js file: leakwatch built (dist/) has one next to each module that starts a
// worker; run from its TypeScript sources (as in the tests) there is none, and the work is done on the calling thread.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** True where the compiled worker file sits next to the module at moduleUrl (leakwatch built, not run from its sources). */
export function hasCompiledWorker(moduleUrl: string, workerFile: URL): boolean {
  return moduleUrl.endsWith(".js") && existsSync(fileURLToPath(workerFile));
}
