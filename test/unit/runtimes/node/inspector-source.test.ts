import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { ProcFs } from "../../../../src/procfs/process.js";
import { listeningPorts, loopbackFor } from "../../../../src/runtimes/node/inspector-source.js";
import { fakeProc } from "../../../helpers/fake-proc.js";

const root = fakeProc([]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    expect([...((await listeningPorts(new ProcFs(root), 40)) ?? [])]).toEqual([0x2405]);
    expect(await listeningPorts(new ProcFs(root), 41)).toBeUndefined();
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
