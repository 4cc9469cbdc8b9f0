// Issue 12, items 6-10: bad input that used to get through, hang, or crash, run through the real `leakwatch`
// command. Each must end at once with one line and exit 2 (1 for leakwatch's own failures), never hang: the
// helper's 30 s timeout kills a hanging command, which fails the test.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { leakwatch } from "../helpers/cli.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "lw-faults-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const existingFile = path.join(dir, "a-file");
writeFileSync(existingFile, "not a directory\n");
const me = String(process.pid);
const quiet = ["--listen", "127.0.0.1:0", "--data-dir", path.join(dir, "data")];

describe("bad input: one line and exit 2, never a hang", () => {
  it.each([
    // 6. Durations of 2^31 ms or more overflowed Node's timers to 1 ms: a dump every millisecond, an instant timeout.
    ["--dump-every 25d", ["--pid", me, "--dump-every", "25d"], /--dump-every .*at most 24 days/],
    ["--dump-timeout 30d", ["--pid", me, "--dump-timeout", "30d"], /--dump-timeout .*at most 24 days/],
    ["--linger 30d", ["--linger", "30d", "--", "true"], /--linger .*at most 24 days/],
    ["run --duration 30d", ["run", "--duration", "30d", "--report", path.join(dir, "r0"), "--", "true"], /--duration: .*at most 24 days/],
    // 7. Hangs: a config file that never ends, a data dir under /proc, a report path that cannot be a directory.
    ["--config /dev/zero", ["--config", "/dev/zero"], /config file \/dev\/zero: not a regular file/],
    ["--data-dir /proc/1/nope", ["--pid", me, "--listen", "127.0.0.1:0", "--data-dir", "/proc/1/nope"], /--data-dir \/proc\/1\/nope: cannot use it: ENOENT/],
    ["run --report /proc/nope", ["run", "--report", "/proc/nope", "--", "true"], /--report \/proc\/nope: cannot write the report there: ENOENT/],
    ["run --report EXISTING_FILE", ["run", "--report", existingFile, "--", "true"], /--report .*a-file: cannot write the report there: not a directory/],
    // 8. Target names are folders under --data-dir.
    ["--name .", ["--pid", me, "--name", "."], /--name .*not \. or \.\./],
    ["--name ..", ["--pid", me, "--name", ".."], /--name .*not \. or \.\./],
    // 9. Accepted silently before.
    ["--match ''", ["--match", ""], /--match .*empty/],
    ["--cgroup ../../etc", ["--cgroup", "../../etc"], /--cgroup .*without \.\. segments/],
    ["--dump-every-requests without load", ["--pid", me, "--dump-every-requests", "100"], /--dump-every-requests .*needs load to count/],
    ["--load-jobs 0", ["--load-url", "http://127.0.0.1:9/", "--load-jobs", "0", "--", "true"], /--load-jobs .*"unbounded", got "0"/],
    [
      "a missing --heap-command program",
      ["--pid", me, ...quiet, "--heap-source", "command", "--heap-command", "no-such-tool {pid}"],
      /--heap-command: command not found or not executable: no-such-tool/,
    ],
    ["a missing --heap-dir", ["--pid", me, ...quiet, "--heap-source", "file", "--heap-dir", path.join(dir, "nope")], /--heap-dir: no such directory/],
  ] as const)("%s", async (_what, args, message) => {
    const r = await leakwatch([...args]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("leakwatch parse DIRECTORY names the directory (it said 'cannot read undefined')", async () => {
    const r = await leakwatch(["parse", dir]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe(`leakwatch: cannot read ${dir}: EISDIR`);
  });

  // 10. "Maximum call stack size exceeded" at 150 k types.
  it("leakwatch parse prints a histogram of 150 k types", async () => {
    const file = path.join(dir, "types.txt");
    writeFileSync(file, `${Array.from({ length: 150_000 }, (_, i) => `${i + 1} ${(i + 1) * 8} com.example.Type${i}`).join("\n")}\n`);
    const r = await leakwatch(["parse", file]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/150000 types/);
    expect(r.stdout).toMatch(/ com\.example\.Type0$/m); // the smallest, last: nothing lost on the way out
  });
});
