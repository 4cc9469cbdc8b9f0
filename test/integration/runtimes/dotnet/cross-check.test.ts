// Cross-checks of the native `dotnet` source against the .NET SDK tools on one real, paused target (the C# program
// after "iterate", "ballast" and "shapes": every kind of type name SOS spells differently from the runtime):
//   - SOS: `dotnet-dump collect` + `analyze -c "dumpheap -stat"`, parsed by leakwatch's dumpheap-stat parser: the
//     same names, and the same counts for the program's types;
//   - `dotnet-gcdump collect` + `report`: the same counts for the program's types.
// scripts/test.sh installs both tools (dotnet tool install -g); where one is missing its test is skipped with the
// reason printed. Nothing here waits on time: the target only allocates on command, and the native dump's induced
// full GC leaves no garbage of the program's types for SOS (which counts dead objects too) to see.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type { DumpSummaryBody } from "../../../../src/model/summary.js";
import { parseText } from "../../../../src/runtimes/index.js";
import { findExecutable } from "../../../../src/runtime-kit/find-executable.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { skipReason } from "../../../helpers/env.js";
import { DotnetTarget, NS, buildTargets, dotnetMissing, makeContext } from "./helpers.js";

const tools = [path.join(homedir(), ".dotnet", "tools")];
const gcdump = await findExecutable("dotnet-gcdump", process.env, tools);
const dotnetDump = await findExecutable("dotnet-dump", process.env, tools);
const noDotnet = skipReason("dotnet cross-checks", dotnetMissing());
const noGcdump =
  !noDotnet && skipReason("dotnet-gcdump cross-check", gcdump === undefined ? "dotnet-gcdump is not installed (dotnet tool install -g dotnet-gcdump)" : null);
const noSos =
  !noDotnet &&
  skipReason("SOS dumpheap -stat cross-check", dotnetDump === undefined ? "dotnet-dump is not installed (dotnet tool install -g dotnet-dump)" : null);
const TOOL_ENV = { DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };

const counts = (body: DumpSummaryBody, keep: (type: string) => boolean) =>
  Object.fromEntries(body.types.filter((t) => keep(t.type)).map((t) => [t.type, t.count]));
/** True when a type (not one of its generic arguments) is nested: a "+" outside angle brackets. */
function nested(type: string): boolean {
  let depth = 0;
  for (const c of type) {
    if (c === "<") depth++;
    else if (c === ">") depth--;
    else if (c === "+" && depth === 0) return true;
  }
  return false;
}

/** The program's types and generic instantiations over them. */
const ours = (t: string) => t.includes(NS) || t === "GlobalThing";

describe.skipIf(noDotnet || (noGcdump && noSos))("native dotnet dump vs the .NET SDK tools", () => {
  let target: DotnetTarget;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "lw-crosscheck-"));
    target = await DotnetTarget.start(buildTargets(), "leak");
    await target.iterate(40);
    await target.command("ballast 20000");
    await target.command("shapes");
  }, 300_000);
  afterAll(async () => {
    await target?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function native(): Promise<DumpSummaryBody> {
    const ctx = makeContext(target.pid);
    try {
      return await new DotnetEventPipeSource().dump(ctx);
    } finally {
      ctx.cleanup();
    }
  }

  it.skipIf(noSos)(
    "names every type as SOS dumpheap -stat does, with the same counts for the program's types",
    async () => {
      const mine = await native();
      const core = path.join(dir, "core");
      await execa(dotnetDump!, ["collect", "-p", String(target.pid), "--type", "Heap", "-o", core], { env: TOOL_ENV, timeout: 120_000 });
      let sos: DumpSummaryBody;
      try {
        const out = await execa(dotnetDump!, ["analyze", core, "-c", "dumpheap -stat", "-c", "exit"], { env: TOOL_ENV, timeout: 120_000 });
        sos = parseText(out.stdout, "dumpheap-stat");
      } finally {
        rmSync(core, { force: true });
      }
      expect(counts(mine, ours)).toEqual(counts(sos, ours));
      const named = counts(mine, () => true);
      // The shapes of the issue, spelt as SOS spells them.
      expect(named[`${NS}Outer+Inner`]).toBe(101);
      expect(named[`${NS}Outer+Inner+Deeper`]).toBe(102);
      expect(named[`System.Collections.Generic.Dictionary<System.Int32, ${NS}Customer>+Entry[]`]).toBe(113);
      expect(named[`${NS}Holder<System.Int32>+Slot`]).toBe(104);
      expect(named[`${NS}Pair<System.Int32, System.String>`]).toBe(105);
      expect(named["System.String[,]"]).toBeGreaterThanOrEqual(107);
      expect(named[`${NS}LeakySession`]).toBe(40);
      // Each compiler-generated <>c class has its own row, named after its declaring type.
      expect(named["<>c"]).toBeUndefined();
      expect(named[`${NS}Shapes+<>c`]).toBe(1);
      expect(named[`${NS}Holder<System.Int32>+<>c`]).toBe(1);
      // Every name leakwatch gives is one SOS prints (SOS lists more: it counts dead objects as well).
      const sosNames = new Set(sos.types.map((t) => t.type));
      expect(mine.types.map((t) => t.type).filter((t) => !sosNames.has(t))).toEqual([]);
      expect(mine.notes.join("\n")).not.toMatch(/matched no readable assembly/);
    },
    300_000,
  );

  it.skipIf(noGcdump)(
    "counts the program's types as dotnet-gcdump report does",
    async () => {
      const mine = await native();
      const file = path.join(dir, "x.gcdump");
      let theirs: DumpSummaryBody;
      try {
        await execa(gcdump!, ["collect", "-p", String(target.pid), "-o", file], { env: TOOL_ENV, timeout: 120_000 });
        theirs = parseText((await execa(gcdump!, ["report", file], { env: TOOL_ENV, timeout: 120_000 })).stdout, "gcdump-report");
      } finally {
        rmSync(file, { force: true });
      }
      // The report names a nested type by its own name only (`Inner`): compared here are the program's other types.
      const comparable = (t: string) => t.startsWith(NS) && !nested(t);
      const expected = counts(theirs, comparable);
      expect(Object.keys(expected).length).toBeGreaterThanOrEqual(8);
      expect(counts(mine, comparable)).toEqual(expected);
      expect(expected[`${NS}LeakySession`]).toBe(40);
      expect(expected[`${NS}Ballast`]).toBe(20000);
      expect(expected[`${NS}Pair<${NS}Outer+Inner, System.Collections.Generic.List<System.Int32>>`]).toBe(106);
    },
    300_000,
  );
});
