import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { catchesSignal, findExecutable, v8SnapshotCost } from "../../../src/sourcekit/run-tool.js";
import { substitutePid } from "../../../src/sources/command.js";
import { listeningPorts, loopbackFor } from "../../../src/runtimes/node/inspector-source.js";
import { fakeProc } from "../../helpers/fake-proc.js";

const root = fakeProc([
  // Node's usual SigCgt, without (30) and with (31) a SIGUSR2 handler.
  { pid: 30, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004602", "VmRSS:\t  200000 kB", "RssAnon:\t  150000 kB"] },
  { pid: 31, exe: "/usr/bin/node", argv: ["node"], status: ["SigCgt:\t0000000100004e02"] },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("catchesSignal", () => {
  it("reads the handler bit of the signal from SigCgt", async () => {
    expect(await catchesSignal(30, "SIGUSR2", root)).toBe(false);
    expect(await catchesSignal(31, "SIGUSR2", root)).toBe(true);
    expect(await catchesSignal(30, "SIGUSR1", root)).toBe(true);
    expect(await catchesSignal(99, "SIGUSR1", root)).toBe(false);
    expect(await catchesSignal(30, "SIGNOPE", root)).toBe(false);
  });
});

describe("v8SnapshotCost", () => {
  it("without a previous dump: 10 x the anonymous RSS, else 10 x the given RSS", async () => {
    expect(await v8SnapshotCost(30, 999, root)).toBe(10 * 150000 * 1024);
    expect(await v8SnapshotCost(31, 1000, root)).toBe(10_000);
    expect(await v8SnapshotCost(99, undefined, root)).toBe(0);
  });

  it("with a previous dump: its objects (plus 25% growth) x 1 KiB, at least 2 x the anonymous RSS", async () => {
    expect(await v8SnapshotCost(30, 999, root, 400_000)).toBe(400_000 * 1.25 * 1024);
    expect(await v8SnapshotCost(30, 999, root, 10)).toBe(2 * 150000 * 1024);
  });
});

describe("listeningPorts", () => {
  it("finds the process's listening loopback/any sockets by inode", async () => {
    const dir = `${root}/40`;
    mkdirSync(`${dir}/fd`, { recursive: true });
    mkdirSync(`${dir}/net`);
    const { symlinkSync } = await import("node:fs");
    symlinkSync("socket:[1001]", `${dir}/fd/3`);
    symlinkSync("socket:[1002]", `${dir}/fd/4`);
    symlinkSync("/dev/null", `${dir}/fd/0`);
    const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    writeFileSync(
      `${dir}/net/tcp`,
      header +
        "   0: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n" + // 127.0.0.1:9221 listen, ours
        "   1: 0100007F:2406 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0\n" + // someone else's
        "   2: 0A00000A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0\n", // 10.0.0.10: not loopback
    );
    writeFileSync(`${dir}/net/tcp6`, header);
    expect([...((await listeningPorts(40, root)) ?? [])]).toEqual([0x2405]);
    expect(await listeningPorts(41, root)).toBeUndefined();
  });

  it("contacts only loopback", () => {
    expect(loopbackFor(undefined)).toBe("127.0.0.1");
    expect(loopbackFor("0.0.0.0")).toBe("127.0.0.1");
    expect(loopbackFor("127.0.0.2")).toBe("127.0.0.2");
    expect(loopbackFor("::1")).toBe("::1");
    expect(loopbackFor("10.1.2.3")).toBeUndefined();
    expect(loopbackFor("example.com")).toBeUndefined();
  });
});

describe("small helpers", () => {
  it("substitutes {pid} anywhere in arguments", () => {
    expect(substitutePid(["tool", "-p", "{pid}", "--out=/tmp/{pid}.txt", "x"], 42)).toEqual(["tool", "-p", "42", "--out=/tmp/42.txt", "x"]);
  });

  it("finds executables in PATH and extra directories only", async () => {
    expect(await findExecutable("sh", { PATH: "/bin:/usr/bin" })).toMatch(/\/sh$/);
    expect(await findExecutable("sh", { PATH: "" })).toBeUndefined();
    expect(await findExecutable("sh", { PATH: "" }, ["/bin"])).toBe("/bin/sh");
  });
});
