// Raw dump files hold the target's secrets: created 0600 with names no other process can predict or reuse. The
// name carries the creating leakwatch's pid, so that a later start can tell a dead leakwatch's files (src/leftovers/).
import { chmod, open } from "node:fs/promises";
import path from "node:path";
import { DumpError } from "../model/dump.js";

/** Creates an empty file readable by its owner only (0600), failing if it exists. */
export async function createPrivateFile(file: string): Promise<void> {
  try {
    const fh = await open(file, "wx", 0o600);
    await fh.close();
    await chmod(file, 0o600); // in case an odd umask or ACL widened it
  } catch (err) {
    throw new DumpError("io_error", `cannot create ${file}: ${(err as Error).message}`);
  }
}

/** A unique raw-file name in the private directory. */
export function rawFileName(privateDir: string, pid: number, ext: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return path.join(privateDir, `leakwatch-${pid}-${stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.${ext}`);
}
