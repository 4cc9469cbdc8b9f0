// runTool reads a tool's output bounded: stdout streams into a parser or is kept up to a cap, stderr is kept up to a
// cap, and a tool printing without end is killed (with its whole process group) instead of filling memory.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LimitError, ParseError } from "../../../src/model/parse-error.js";
import { DRAIN_AFTER_ERROR, MAX_STDERR, STDOUT_HEAD, runTool } from "../../../src/runtime-kit/run-tool.js";

const node = process.execPath;
const never = new AbortController().signal;
/** A tool writing `chunk` to fd forever (as `yes` does), as fast as the pipe takes it. */
const endless = (chunk: string, fd = 1) => ["-e", `const b = Buffer.from(${JSON.stringify(chunk)}.repeat(4096)); for (;;) require("fs").writeSync(${fd}, b);`];

function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

describe("runTool", () => {
  it("streams stdout into onStdout and keeps only its head", async () => {
    let received = 0;
    let calls = 0;
    const r = await runTool(node, ["-e", `process.stdout.write("x".repeat(${STDOUT_HEAD * 4}))`], {
      signal: never,
      onStdout: (chunk) => {
        received += chunk.length;
        calls++;
      },
    });
    expect(r.exitCode).toBe(0);
    expect(received).toBe(STDOUT_HEAD * 4);
    expect(calls).toBeGreaterThan(1);
    expect(r.stdout).toHaveLength(STDOUT_HEAD);
    expect(r.killedForOutput).toBe(false);
  });

  it("kills a tool printing beyond maxStdoutBytes, group and all", async () => {
    let pid = 0;
    const r = await runTool(node, endless("1 2 Foo.Bar\n"), { signal: never, maxStdoutBytes: 1024 * 1024, onSpawn: (p) => (pid = p) });
    expect(r.maxBufferExceeded).toBe(true);
    expect(r.killedForOutput).toBe(true);
    expect(r.stdout.length).toBeLessThanOrEqual(1024 * 1024);
    expect(gone(pid)).toBe(true);
  });

  it("kills the tool at once when onStdout throws a LimitError", async () => {
    let bytes = 0;
    const limit = new LimitError("plain", 2, "line", "a line longer than 1000 characters");
    const r = await runTool(node, endless("\0"), {
      signal: never,
      onStdout: (chunk) => {
        bytes += chunk.length;
        if (bytes > 1000) throw limit;
      },
    });
    expect(r.outputError).toBe(limit);
    expect(r.killedForOutput).toBe(true);
    expect(r.maxBufferExceeded).toBe(false);
  });

  it("after another parse error, lets a failing tool exit by itself, and kills one that goes on printing", async () => {
    const bad = new ParseError("unknown", 1, "unrecognised heap statistics format");
    const failing = await runTool(node, ["-e", 'process.stdout.write("garbage\\n"); process.exit(3)'], {
      signal: never,
      onStdout: () => {
        throw bad;
      },
    });
    expect(failing.exitCode).toBe(3);
    expect(failing.outputError).toBe(bad);
    expect(failing.killedForOutput).toBe(false);

    let fed = 0;
    const endlessGarbage = await runTool(node, endless("garbage\n"), {
      signal: never,
      onStdout: (chunk) => {
        fed += chunk.length;
        throw bad;
      },
    });
    expect(endlessGarbage.outputError).toBe(bad);
    expect(endlessGarbage.killedForOutput).toBe(true);
    expect(fed).toBeLessThan(DRAIN_AFTER_ERROR);
  });

  it("keeps at most MAX_STDERR of stderr without failing the tool", async () => {
    const r = await runTool(node, ["-e", `process.stderr.write("e".repeat(${MAX_STDERR * 3}), () => process.exit(0))`], { signal: never });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toHaveLength(MAX_STDERR);
    expect(r.maxBufferExceeded).toBe(false);
  });

  it("reports a tool that cannot be started", async () => {
    const r = await runTool("/nonexistent/tool", [], { signal: never });
    expect(r.spawnError).toBe("ENOENT");
  });
});
