// undici, loaded on first use. It adds ~5 MB to the daemon's resident memory, and most runs apply no load. It is
// CommonJS, so createRequire loads it synchronously and callers such as TargetLoad.start() stay synchronous.
import { createRequire } from "node:module";

let undiciModule: typeof import("undici") | undefined;

export function undici(): typeof import("undici") {
  return (undiciModule ??= createRequire(import.meta.url)("undici") as typeof import("undici"));
}
