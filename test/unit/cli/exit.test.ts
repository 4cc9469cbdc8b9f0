// One mapping from a failure to leakwatch's exit code and message, for every subcommand: 2 for what the user must
// change (usage, configuration, a target that is not there), 1 for leakwatch's own failures.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/load.js";
import { ListenError } from "../../../src/daemon.js";
import { ParseError } from "../../../src/model/parse-error.js";
import { TargetError } from "../../../src/targets/manager.js";
import { EXIT_RUNTIME, EXIT_USAGE, failureOf } from "../../../src/cli/exit.js";
import { UsageError } from "../../../src/cli/usage.js";

/** An error as Node's fs functions make them. */
function fsError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall}${path ? ` '${path}'` : ""}`), { code, syscall, ...(path ? { path } : {}) });
}

describe("failureOf", () => {
  it("uses the exit codes the help text documents", () => {
    expect([EXIT_RUNTIME, EXIT_USAGE]).toEqual([1, 2]);
  });

  it.each([
    ["UsageError", new UsageError("parse takes one FILE")],
    ["ConfigError", new ConfigError("--pid (targets[0].pid): expected a positive process id")],
    ["TargetError", new TargetError("--pid 999999999: no such process")],
  ])("a %s is bad usage: exit 2 with its message", (_name, err) => {
    expect(failureOf(err)).toEqual({ code: 2, message: err.message });
  });

  it.each([
    ["ListenError", new ListenError("cannot listen on 127.0.0.1:9477: address already in use")],
    ["ParseError", new ParseError("unknown", 1, "unrecognised heap statistics format")],
  ])("a %s is a runtime error: exit 1 with its message", (_name, err) => {
    expect(failureOf(err)).toEqual({ code: 1, message: err.message });
  });

  it("keeps the no-target hint's lines (the one message longer than a line)", () => {
    const hint = "no target given. Name the process to watch:\n  leakwatch --pid 1234";
    expect(failureOf(new UsageError(hint))).toEqual({ code: 2, message: hint });
  });

  it.each([
    ["ENOENT", "stat"],
    ["ENOENT", "open"],
    ["EACCES", "open"],
    ["EISDIR", "read"],
  ])("a file that cannot be read (%s from %s) is 'cannot read FILE: CODE', exit 1", (code, syscall) => {
    expect(failureOf(fsError(code, syscall, "/data/heap.txt"))).toEqual({ code: 1, message: `cannot read /data/heap.txt: ${code}` });
  });

  it("a failure other than reading keeps Node's message, which names the operation", () => {
    const err = fsError("EACCES", "mkdir", "/var/lib/leakwatch");
    expect(failureOf(err)).toEqual({ code: 1, message: err.message });
  });

  it("a read error without a file name keeps Node's message rather than naming no file", () => {
    const err = fsError("EISDIR", "read");
    expect(failureOf(err)).toEqual({ code: 1, message: err.message });
  });

  it("anything else is exit 1 with its message", () => {
    expect(failureOf(new Error("boom"))).toEqual({ code: 1, message: "boom" });
    expect(failureOf("not an Error")).toEqual({ code: 1, message: "not an Error" });
  });
});
