import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { ProcFs } from "../../../src/procfs/process.js";
import {
  FORMATS,
  RUNTIMES,
  RUNTIME_SOURCES,
  TEXT_FORMATS,
  chooseForCommand,
  chooseForPid,
  detectRuntime,
  runtimeFromMaps,
} from "../../../src/runtimes/index.js";
import { isRuntime } from "../../../src/runtime-kit/detect.js";
import { JVM_SIGNATURE } from "../../../src/runtimes/jvm/signature.js";
import { NODE_SIGNATURE } from "../../../src/runtimes/node/signature.js";
import { DOTNET_SIGNATURE } from "../../../src/runtimes/dotnet/signature.js";
import { fakeProc } from "../../helpers/fake-proc.js";

const lib = (p: string) => `7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 ${p}\n`;
const root = fakeProc([
  { pid: 10, exe: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", argv: ["java", "-jar", "app.jar"] },
  { pid: 11, exe: "/usr/bin/node", argv: ["node", "app.js"] },
  { pid: 12, exe: "/usr/share/dotnet/dotnet", argv: ["dotnet", "app.dll"] },
  { pid: 13, exe: "/opt/app/MyService", argv: ["/opt/app/MyService"], maps: lib("/opt/app/libcoreclr.so") },
  { pid: 14, exe: "/opt/jre/bin/launcher", argv: ["launcher"], maps: lib("/opt/jre/lib/server/libjvm.so") },
  { pid: 15, exe: "/usr/bin/electron-ish", argv: ["x"], maps: lib("/usr/lib/libnode.so.108") },
  { pid: 16, argv: ["/home/u/.nvm/versions/node/v20.1.0/bin/node", "srv.js"] }, // exe and maps unreadable
  { pid: 17, exe: "/usr/bin/python3.11", argv: ["python3", "x.py"], maps: lib("/usr/lib/libc.so.6") },
  { pid: 18, exe: "/usr/bin/node", argv: ["node", "a.js"], environ: { NODE_OPTIONS: "--heapsnapshot-signal=SIGUSR2" } },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const proc = new ProcFs(root);

describe("detectRuntime", () => {
  it("tells JVM, Node and .NET apart from exe, maps and cmdline", async () => {
    const got = await Promise.all([10, 11, 12, 13, 14, 15, 16, 17, 99].map((pid) => detectRuntime(proc, pid)));
    expect(got).toEqual(["jvm", "node", "dotnet", "dotnet", "jvm", "node", "node", "unknown", "unknown"]);
  });

  it("detects this test's own process (a real node) from the real /proc", async () => {
    expect(await detectRuntime(new ProcFs(), process.pid)).toBe("node");
  });

  it("reads libraries from a maps text", () => {
    expect(runtimeFromMaps(lib("/x/libjvm.so (deleted)"))).toBe("jvm");
    expect(runtimeFromMaps("")).toBe("unknown");
  });
});

describe("chooseForCommand / chooseForPid", () => {
  it("maps runtimes to sources", () => {
    expect(chooseForCommand("jvm", "java -jar app.jar")).toMatchObject({ name: "jvm" });
    expect(chooseForCommand("jvm", "java -jar app.jar").source?.name).toBe("jvm");
    expect(chooseForCommand("dotnet", "dotnet app.dll")).toMatchObject({ name: "dotnet" });
    expect(chooseForCommand("dotnet", "dotnet app.dll").source?.name).toBe("dotnet");
    expect(chooseForCommand("unknown", "python3 x.py")).toMatchObject({ name: "none", source: undefined });
  });

  it("picks the v8 method from the Node flags, and none without a way in", () => {
    expect(chooseForCommand("node", "node --heapsnapshot-signal=SIGUSR2 app.js")).toMatchObject({ name: "v8", method: "signal" });
    expect(chooseForCommand("node", "node app.js", { nodeOptions: "--heapsnapshot-signal=SIGUSR2" })).toMatchObject({ name: "v8", method: "signal" });
    expect(chooseForCommand("node", "node --inspect=127.0.0.1:9229 app.js")).toMatchObject({ name: "v8", method: "inspector" });
    expect(chooseForCommand("node", "node app.js", { openInspector: true })).toMatchObject({ name: "v8", method: "open-inspector" });
    const none = chooseForCommand("node", "node app.js --inspect");
    expect(none).toMatchObject({ name: "none", source: undefined });
    expect(none.reason).toMatch(/--heapsnapshot-signal/);
  });

  it("reads a live process's flags from /proc (cmdline and NODE_OPTIONS in environ)", async () => {
    expect(await chooseForPid(18, "node a.js", { proc })).toMatchObject({ runtime: "node", name: "v8", method: "signal" });
    expect(await chooseForPid(11, "node app.js", { proc })).toMatchObject({ runtime: "node", name: "none" });
    expect(await chooseForPid(10, "java", { proc })).toMatchObject({ runtime: "jvm", name: "jvm" });
  });
});

describe("isRuntime", () => {
  it("answers for one runtime without knowing the others: true, false when /proc proves otherwise, undefined when it cannot tell", async () => {
    expect(await isRuntime(proc, 10, JVM_SIGNATURE)).toBe(true);
    expect(await isRuntime(proc, 14, JVM_SIGNATURE)).toBe(true); // libjvm.so under a custom launcher
    expect(await isRuntime(proc, 17, JVM_SIGNATURE)).toBe(false); // python, maps readable
    expect(await isRuntime(proc, 13, DOTNET_SIGNATURE)).toBe(true);
    expect(await isRuntime(proc, 17, DOTNET_SIGNATURE)).toBe(false);
    expect(await isRuntime(proc, 16, NODE_SIGNATURE)).toBe(true); // from argv[0]
    expect(await isRuntime(proc, 16, JVM_SIGNATURE)).toBeUndefined(); // maps unreadable: cannot tell
    expect(await isRuntime(proc, 99, NODE_SIGNATURE)).toBeUndefined(); // gone
  });
});

describe("the registry", () => {
  it("lists each runtime once, and every source and format name once", () => {
    const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);
    expect(names(RUNTIMES)).toEqual([...new Set(names(RUNTIMES))]);
    expect(names(RUNTIME_SOURCES)).toEqual([...new Set(names(RUNTIME_SOURCES))]);
    expect(names(FORMATS)).toEqual([...new Set(names(FORMATS))]);
    expect(names(RUNTIMES)).toEqual(["jvm", "node", "dotnet"]);
    expect(names(RUNTIME_SOURCES)).toEqual(["jvm", "v8", "dotnet", "dotnet-text"]);
  });

  it("offers every format but the binary ones to text readers, plain last", () => {
    expect(TEXT_FORMATS).not.toContain("nettrace");
    expect(TEXT_FORMATS.at(-1)).toBe("plain");
    expect(FORMATS.filter((f) => !f.binary).length).toBe(TEXT_FORMATS.length);
  });

  it("chooses each runtime's first source for auto", () => {
    for (const r of RUNTIMES) {
      if (r.name === "node") continue; // V8 needs a way in (flags): covered above
      expect(chooseForCommand(r.name, "x").name).toBe(r.sources[0]!.name);
    }
  });
});
