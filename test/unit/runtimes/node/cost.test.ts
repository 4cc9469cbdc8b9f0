import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { ProcFs } from "../../../../src/procfs/process.js";
import { v8SnapshotCost, v8SnapshotFileSize } from "../../../../src/runtimes/node/cost.js";
import { fakeProc } from "../../../helpers/fake-proc.js";

const root = fakeProc([
  // Node's usual SigCgt, without (30) and with (31) a SIGUSR2 handler.
  { pid: 30, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004602", "VmRSS:\t  200000 kB", "RssAnon:\t  150000 kB"] },
  { pid: 31, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004e02"] },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const proc = new ProcFs(root);

describe("v8SnapshotCost", () => {
  it("without a previous dump: 40 x the anonymous RSS, else 40 x the given RSS", async () => {
    expect(await v8SnapshotCost(proc, 30, 999)).toBe(40 * 150000 * 1024);
    expect(await v8SnapshotCost(proc, 31, 1000)).toBe(40_000);
    expect(await v8SnapshotCost(proc, 99, undefined)).toBe(0);
  });

  it("with a previous dump: its objects (plus 25% growth) x 3 KiB, at least 40 x the anonymous RSS", async () => {
    expect(await v8SnapshotCost(proc, 30, 999, 4_000_000)).toBe(4_000_000 * 1.25 * 3 * 1024);
    expect(await v8SnapshotCost(proc, 30, 999, 10)).toBe(40 * 150000 * 1024);
  });

  it("for a target whose memory is rising, the memory it will have gained by the time the dump begins counts", async () => {
    expect(await v8SnapshotCost(proc, 30, 999, undefined, undefined, 10 * 1024 * 1024)).toBe(40 * (150000 * 1024 + 10 * 1024 * 1024));
  });

  it("once dumps of the target were measured, what they cost is the estimate, lower or higher than the model's", async () => {
    expect(await v8SnapshotCost(proc, 30, 999, 4_000_000, 123_456)).toBe(123_456);
    expect(await v8SnapshotCost(proc, 30, 999, 10, 1e12)).toBe(1e12);
  });
});

describe("v8SnapshotFileSize", () => {
  it("twice the anonymous memory without an earlier file; else that file plus 25% plus twice the memory gained since", () => {
    expect(v8SnapshotFileSize(50e6)).toBe(100e6);
    expect(v8SnapshotFileSize(600e6, { bytes: 80e6, anonAfter: 590e6 })).toBe(80e6 * 1.25 + 2 * 10e6);
    expect(v8SnapshotFileSize(500e6, { bytes: 80e6, anonAfter: 590e6 })).toBe(80e6 * 1.25);
  });
});
