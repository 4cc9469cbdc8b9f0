// Temp YAML files and a loader that never reads the real environment.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { ConfigError, loadConfig, parseCli } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/schema.js";

export function tempFiles(): { dir: string; yaml(text: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "lw-config-"));
  let n = 0;
  return {
    dir,
    yaml(text: string) {
      const file = path.join(dir, `config-${++n}.yaml`);
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** parseCli + loadConfig with an explicit (by default empty) environment. */
export function load(argv: string[], env: Record<string, string> = {}): Config {
  return loadConfig(parseCli(argv), env);
}

/** Runs fn, expects a ConfigError, checks it is one line, and returns its message. */
export function configError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a ConfigError").toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message, "one line").not.toMatch(/[\r\n]/);
  expect(message.length).toBeGreaterThan(0);
  return message;
}
