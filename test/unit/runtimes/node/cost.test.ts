import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { ProcFs } from "../../../../src/procfs/process.js";
import { v8SnapshotCost } from "../../../../src/runtimes/node/cost.js";
import { fakeProc } from "../../../helpers/fake-proc.js";

const root = fakeProc([
  // Node's usual SigCgt, without (30) and with (31) a SIGUSR2 handler.
  { pid: 30, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004602", "VmRSS:\t  200000 kB", "RssAnon:\t  150000 kB"] },
  { pid: 31, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004e02"] },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const proc = new ProcFs(root);

describe("v8SnapshotCost", () => {
  it("without a previous dump: 10 x the anonymous RSS, else 10 x the given RSS", async () => {
    expect(await v8SnapshotCost(proc, 30, 999)).toBe(10 * 150000 * 1024);
    expect(await v8SnapshotCost(proc, 31, 1000)).toBe(10_000);
    expect(await v8SnapshotCost(proc, 99, undefined)).toBe(0);
  });

  it("with a previous dump: its objects (plus 25% growth) x 1 KiB, at least 2 x the anonymous RSS", async () => {
    expect(await v8SnapshotCost(proc, 30, 999, 400_000)).toBe(400_000 * 1.25 * 1024);
    expect(await v8SnapshotCost(proc, 30, 999, 10)).toBe(2 * 150000 * 1024);
  });
});
