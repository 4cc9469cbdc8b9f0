// The dotnet-text heap source, with stand-in scripts for dotnet-gcdump and dotnet-dump
// (test/fixtures/targets/dotnet-fake/) that take the real tools' arguments and print captured reports, so that
// failures can be staged; the target is a plain process. The real tools are checked in cross-check.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { DotnetTextSource } from "../../../../src/runtimes/dotnet/text-source.js";
import { alive, makeContext, scratch, targetsDir } from "../../../helpers/targets.js";

const fakeDir = path.join(targetsDir, "dotnet-fake");
const { tmp, sleeper: target, cleanup } = scratch();
const basePath = "/usr/bin:/bin";
afterEach(cleanup);

describe("dotnet-text heap source (stand-in tools)", () => {
  it("collects with dotnet-gcdump into a 0600 file in the private dir, parses the report, disposes the file", async () => {
    const log = path.join(tmp("lw-log-"), "log");
    const pid = target();
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      const source = new DotnetTextSource({ env: { PATH: `${fakeDir}:${basePath}`, HOME: tmp("lw-home-"), FAKE_DOTNET_LOG: log } });
      expect((await source.findTool()).kind).toBe("gcdump");
      const body = await source.dump(ctx);
      expect(body.format).toBe("gcdump-report");
      expect(body.bytesExact).toBe(false);
      expect(body.types.some((t) => t.type === "System.String")).toBe(true);
      expect(readFileSync(log, "utf8").trim()).toBe("600"); // mode of the output file when the tool opened it
      expect(ctx.disposed).toHaveLength(1);
      expect(path.dirname(ctx.disposed[0]!.file)).toBe(ctx.privateDir);
      expect(ctx.disposed[0]!.mode).toBe("600");
      expect(readdirSync(ctx.privateDir)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  it("finds dotnet-gcdump in ~/.dotnet/tools when it is not in PATH", async () => {
    const home = tmp("lw-home-");
    mkdirSync(path.join(home, ".dotnet", "tools"), { recursive: true });
    symlinkSync(path.join(fakeDir, "dotnet-gcdump"), path.join(home, ".dotnet", "tools", "dotnet-gcdump"));
    const pid = target();
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      const source = new DotnetTextSource({ env: { PATH: basePath, HOME: home } });
      expect(await source.findTool()).toEqual({ kind: "gcdump", path: path.join(home, ".dotnet", "tools", "dotnet-gcdump") });
      expect((await source.dump(ctx)).format).toBe("gcdump-report");
    } finally {
      ctx.cleanup();
    }
  });

  it("falls back to dotnet-dump + dumpheap -stat when only dotnet-dump exists", async () => {
    const log = path.join(tmp("lw-log-"), "log");
    const pid = target();
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      const source = new DotnetTextSource({ env: { PATH: `${path.join(fakeDir, "dump-only")}:${basePath}`, HOME: tmp("lw-home-"), FAKE_DOTNET_LOG: log } });
      const body = await source.dump(ctx);
      expect(body.format).toBe("dumpheap-stat");
      expect(body.types.find((t) => t.type === "testwebapi.Controllers.Customer")?.count).toBe(200000);
      expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["600", "type=Heap", "analyze -c dumpheap -stat -c exit"]);
      expect(readdirSync(ctx.privateDir)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  it("reports tool_missing when neither tool is installed", async () => {
    const pid = target();
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      const source = new DotnetTextSource({ env: { PATH: basePath, HOME: tmp("lw-home-") } });
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "tool_missing" });
    } finally {
      ctx.cleanup();
    }
  });

  it("reports target_exited when the target dies during collect, and still removes the raw file", async () => {
    const pid = target();
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      // The stand-in kills the target half-way through collect, then fails like the real tool.
      const source = new DotnetTextSource({ env: { PATH: `${fakeDir}:${basePath}`, HOME: tmp("lw-home-"), FAKE_DOTNET_KILL_TARGET: "1" } });
      await expect(source.dump(ctx)).rejects.toMatchObject({ reason: "target_exited" });
      expect(readdirSync(ctx.privateDir)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  it("kills a hanging collect on abort: timeout, tool gone, raw file removed", async () => {
    const pid = target();
    const hangPid = path.join(tmp("lw-hang-"), "pid");
    const ctx = makeContext(pid, "dotnet app.dll");
    try {
      const source = new DotnetTextSource({ env: { PATH: `${fakeDir}:${basePath}`, HOME: tmp("lw-home-"), FAKE_DOTNET_HANG: hangPid } });
      const pending = source.dump(ctx);
      setTimeout(() => ctx.controller.abort(), 300);
      await expect(pending).rejects.toMatchObject({ reason: "timeout" });
      const toolPid = Number(readFileSync(hangPid, "utf8"));
      const end = Date.now() + 3000;
      while (alive(toolPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(alive(toolPid)).toBe(false);
      expect(readdirSync(ctx.privateDir)).toEqual([]);
      expect(alive(pid)).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });
});
