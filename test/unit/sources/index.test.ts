import { afterAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { HEAP_SOURCE_NAMES, chooseSource, chooseSourceForPid, createSource, detectRuntime, runtimeFromMaps } from "../../../src/sources/index.js";
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

describe("detectRuntime", () => {
  it("tells JVM, Node and .NET apart from exe, maps and cmdline", async () => {
    const got = await Promise.all([10, 11, 12, 13, 14, 15, 16, 17, 99].map((pid) => detectRuntime(pid, root)));
    expect(got).toEqual(["jvm", "node", "dotnet", "dotnet", "jvm", "node", "node", "unknown", "unknown"]);
  });

  it("detects this test's own process (a real node) from the real /proc", async () => {
    expect(await detectRuntime(process.pid)).toBe("node");
  });

  it("reads libraries from a maps text", () => {
    expect(runtimeFromMaps(lib("/x/libjvm.so (deleted)"))).toBe("jvm");
    expect(runtimeFromMaps("")).toBe("unknown");
  });
});

describe("chooseSource", () => {
  it("maps runtimes to sources", () => {
    expect(chooseSource("jvm", "java -jar app.jar")).toMatchObject({ name: "jvm" });
    expect(chooseSource("jvm", "java -jar app.jar").source?.name).toBe("jvm");
    expect(chooseSource("dotnet", "dotnet app.dll")).toMatchObject({ name: "dotnet" });
    expect(chooseSource("dotnet", "dotnet app.dll").source?.name).toBe("dotnet");
    expect(chooseSource("unknown", "python3 x.py")).toMatchObject({ name: "none", source: undefined });
  });

  it("picks the v8 method from the Node flags, and none without a way in", () => {
    expect(chooseSource("node", "node --heapsnapshot-signal=SIGUSR2 app.js")).toMatchObject({ name: "v8", method: "signal" });
    expect(chooseSource("node", "node app.js", { nodeOptions: "--heapsnapshot-signal=SIGUSR2" })).toMatchObject({ name: "v8", method: "signal" });
    expect(chooseSource("node", "node --inspect=127.0.0.1:9229 app.js")).toMatchObject({ name: "v8", method: "inspector" });
    expect(chooseSource("node", "node app.js", { openInspector: true })).toMatchObject({ name: "v8", method: "open-inspector" });
    const none = chooseSource("node", "node app.js --inspect");
    expect(none).toMatchObject({ name: "none", source: undefined });
    expect(none.reason).toMatch(/--heapsnapshot-signal/);
  });

  it("reads a live process's flags from /proc (cmdline and NODE_OPTIONS in environ)", async () => {
    expect(await chooseSourceForPid(18, "node a.js", { procRoot: root })).toMatchObject({ runtime: "node", name: "v8", method: "signal" });
    expect(await chooseSourceForPid(11, "node app.js", { procRoot: root })).toMatchObject({ runtime: "node", name: "none" });
    expect(await chooseSourceForPid(10, "java", { procRoot: root })).toMatchObject({ runtime: "jvm", name: "jvm" });
  });
});

describe("createSource", () => {
  it("builds each --heap-source by name", () => {
    expect(createSource("jvm").name).toBe("jvm");
    expect(createSource("v8").name).toBe("v8");
    expect(createSource("dotnet-text").name).toBe("dotnet-text");
    expect(createSource("command", { command: ["my-tool", "{pid}"] }).name).toBe("command");
    expect(createSource("file", { dir: "/tmp" }).name).toBe("file");
    expect(createSource("dotnet").name).toBe("dotnet"); // the native EventPipe source
    expect(HEAP_SOURCE_NAMES).toContain("dotnet");
  });

  it("throws clear errors for missing options and unknown names", () => {
    expect(() => createSource("command")).toThrow(/needs a command/);
    expect(() => createSource("file")).toThrow(/needs a directory/);
    expect(() => createSource("perl")).toThrow(/unknown heap source "perl".*jvm, v8/);
  });
});
