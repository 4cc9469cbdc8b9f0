// Finding a diagnostic tool the way a shell would (PATH), plus the directories tools install into.
import { constants as fsConstants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

/**
 * Finds an executable by name: an absolute or relative path is used as is, otherwise PATH (from env) and then
 * the extra directories are searched. Undefined when not found or not executable.
 */
export async function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = []): Promise<string | undefined> {
  if (name.includes("/")) return (await isExecutable(name)) ? name : undefined;
  const dirs = (env.PATH ?? "").split(":").filter((d) => d !== "");
  for (const dir of [...dirs, ...extraDirs]) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The user's home directory as the tools see it (HOME from env, else the OS's). */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && env.HOME !== "" ? env.HOME : homedir();
}
