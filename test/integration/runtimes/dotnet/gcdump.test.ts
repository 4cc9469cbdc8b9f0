// Cross-check against dotnet-gcdump on the same paused target: the program's types must have the same counts in
// leakwatch's native dump and in `dotnet-gcdump collect` + `report`. Skipped (with the reason printed) where
// dotnet-gcdump is not installed: it is a NuGet tool that fresh CI machines do not have.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parseText } from "../../../../src/runtimes/index.js";
import { findExecutable } from "../../../../src/runtime-kit/find-executable.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { skipReason } from "../../../helpers/env.js";
import { DotnetTarget, NS, buildTargets, dotnetMissing, makeContext } from "./helpers.js";

const gcdump = await findExecutable("dotnet-gcdump", process.env, [path.join(homedir(), ".dotnet", "tools")]);
const skip = skipReason(
  "dotnet-gcdump cross-check",
  dotnetMissing() ?? (gcdump === undefined ? "dotnet-gcdump is not installed (dotnet tool install -g dotnet-gcdump)" : null),
);

describe.skipIf(skip)("native dotnet dump vs dotnet-gcdump", () => {
  let target: DotnetTarget;
  beforeAll(async () => {
    target = await DotnetTarget.start(buildTargets(), "leak");
    await target.iterate(40);
    await target.command("ballast 20000");
  }, 300_000);
  afterAll(async () => target?.kill());

  it("gives the same counts for the program's types", async () => {
    const ctx = makeContext(target.pid);
    let native;
    try {
      native = await new DotnetEventPipeSource().dump(ctx);
    } finally {
      ctx.cleanup();
    }
    const dir = mkdtempSync(path.join(tmpdir(), "lw-gcdump-"));
    try {
      const file = path.join(dir, "x.gcdump");
      await execa(gcdump!, ["collect", "-p", String(target.pid), "-o", file]);
      const report = await execa(gcdump!, ["report", file]);
      const theirs = parseText(report.stdout, "gcdump-report");
      const mine = Object.fromEntries(native.types.filter((t) => t.type.startsWith(NS)).map((t) => [t.type, t.count]));
      const other = Object.fromEntries(theirs.types.filter((t) => t.type.startsWith(NS)).map((t) => [t.type, t.count]));
      expect(mine).toEqual(other);
      expect(mine[`${NS}LeakySession`]).toBe(40);
      expect(mine[`${NS}Ballast`]).toBe(20000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
