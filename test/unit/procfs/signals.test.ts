import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { ProcFs } from "../../../src/procfs/process.js";
import { fakeProc } from "../../helpers/fake-proc.js";

const root = fakeProc([
  // Node's usual SigCgt, without (30) and with (31) a SIGUSR2 handler.
  { pid: 30, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004602", "VmRSS:\t  200000 kB", "RssAnon:\t  150000 kB"] },
  { pid: 31, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004e02"] },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const proc = new ProcFs(root);

describe("ProcFs.signalMask", () => {
  it("reads the handler bit of the signal from SigCgt", async () => {
    expect(await proc.signalMask(30, "SIGUSR2", "SigCgt")).toBe(false);
    expect(await proc.signalMask(31, "SIGUSR2", "SigCgt")).toBe(true);
    expect(await proc.signalMask(30, "SIGUSR1", "SigCgt")).toBe(true);
    expect(await proc.signalMask(99, "SIGUSR1", "SigCgt")).toBe(false);
    expect(await proc.signalMask(30, "SIGNOPE", "SigCgt")).toBe(false);
  });
});
