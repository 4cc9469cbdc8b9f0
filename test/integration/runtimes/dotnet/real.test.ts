// A real .NET program (test/fixtures/targets/dotnet-leak, built into a temp dir once for this file): runtime
// detection for both ways it runs (the apphost executable, found by libcoreclr.so in its maps, and
// `dotnet leak.dll`), and the automatic source choice: the native EventPipe "dotnet" source (its dumps are tested in
// test/integration/dotnet/).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { ProcFs } from "../../../../src/procfs/process.js";
import { chooseForPid, detectRuntime } from "../../../../src/runtimes/index.js";
import { which } from "../../../helpers/env.js";
import { LineProcess, targetsDir } from "../../../helpers/targets.js";

let skip: string | null = which("dotnet") ? null : "dotnet SDK not installed";
let work = "";
let out = "";

beforeAll(async () => {
  if (skip) return;
  work = mkdtempSync(path.join(tmpdir(), "lw-dotnet-"));
  cpSync(path.join(targetsDir, "dotnet-leak"), work, { recursive: true });
  out = path.join(work, "out");
  const r = await execa(
    "dotnet",
    ["build", path.join(work, "leak.csproj"), "-c", "Release", "-o", out, "-nodeReuse:false", "-p:UseSharedCompilation=false", "-v:q", "-nologo"],
    { reject: false, env: { DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1" }, timeout: 110_000 },
  );
  if (r.exitCode !== 0)
    skip = `dotnet build failed: ${
      String(r.stdout)
        .split("\n")
        .find((l) => /error/i.test(l)) ?? r.exitCode
    }`;
  if (skip) console.warn(`SKIP real .NET tests: ${skip}`);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("real .NET target", () => {
  it("is detected as dotnet through its apphost (libcoreclr.so) and through `dotnet leak.dll`", async (t) => {
    if (skip) return t.skip();
    for (const [file, args] of [
      [path.join(out, "leak"), []],
      ["dotnet", [path.join(out, "leak.dll")]],
    ] as const) {
      const p = LineProcess.spawnLines(file, [...args]);
      try {
        await p.waitLine(/^entries \d+$/, 20_000);
        expect(await detectRuntime(new ProcFs(), p.pid)).toBe("dotnet");
        const choice = await chooseForPid(p.pid, [file, ...args].join(" "));
        expect(choice).toMatchObject({ runtime: "dotnet", name: "dotnet" });
        expect(choice.source?.name).toBe("dotnet");
      } finally {
        await p.kill();
      }
    }
  });
});
