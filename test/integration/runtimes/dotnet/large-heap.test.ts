// A heap of more than 10 M live objects dumped by the built `leakwatch` (a real daemon process, its decoding worker
// included) while two busy loops load both cores: the dump succeeds, every count equals the program's own
// (test/fixtures/dotnet/bigheap), and leakwatch's peak RSS stays bounded. At this size the whole heap walk waits in
// the target's EventPipe buffer during the induced GC (the runtime streams nothing until it ends), so this fails
// when the buffer is not sized to the heap: a 256 MiB one dropped ≈ 4 000 events at 12 M objects.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DumpSummaryBody } from "../../../../src/model/summary.js";
import { type CliDaemon, startCliDaemon } from "../../../helpers/cli-daemon.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { skipReason, waitFor } from "../../../helpers/env.js";
import { DotnetTarget, buildBigHeap, dotnetMissing, makeContext } from "./helpers.js";

const skip = skipReason("dotnet large-heap test", dotnetMissing());

/** What the program says it keeps alive. */
type Counts = Record<"outer_inner" | "other_inner" | "outer_inner_arrays" | "other_inner_arrays" | "string_2d" | "closures1_c" | "closures2_c", number>;

async function startBigHeap(dll: string, args: number[]): Promise<{ target: DotnetTarget; counts: Counts }> {
  // Building 10 M objects with both cores busy takes a while: a generous deadline, waited for, never slept.
  const target = await DotnetTarget.spawn("dotnet", [dll, ...args.map(String)], {}, 240_000);
  const line = target.lines.find((l) => l.startsWith("counts "));
  if (line === undefined) throw new Error(`no counts line before ready: ${target.lines.join(" | ")}`);
  const counts = Object.fromEntries(
    line
      .slice(7)
      .split(" ")
      .map((kv) => [kv.split("=")[0], Number(kv.split("=")[1])]),
  ) as Counts;
  return { target, counts };
}

// Type names: written while another change was making them SOS's (`Outer+Inner`, `System.String[,]`, `<A, B>`
// generic arguments); before it, a nested type was named by its own name only (Outer+Inner and Other+Inner shared
// one row "Inner"), a `<>c` class as `[]c` or bare, and a rank-2 array `System.String<,>`. So each expectation names
// the SOS row and the older one, with the program's count for each (the older row sums every type it merged);
// whichever name the dump has is checked. The SOS naming is in (merged from main): the older names can go.
interface Expectation {
  what: string;
  sos: { name: string; count: (c: Counts) => number };
  now: { names: string[]; count: (c: Counts) => number };
}
const NS = "Leakwatch.Big.";
const EXPECT: Expectation[] = [
  {
    what: "Outer+Inner",
    sos: { name: `${NS}Outer+Inner`, count: (c) => c.outer_inner },
    now: { names: ["Inner"], count: (c) => c.outer_inner + c.other_inner },
  },
  {
    what: "Other+Inner",
    sos: { name: `${NS}Other+Inner`, count: (c) => c.other_inner },
    now: { names: ["Inner"], count: (c) => c.outer_inner + c.other_inner },
  },
  {
    what: "Outer+Inner[]",
    sos: { name: `${NS}Outer+Inner[]`, count: (c) => c.outer_inner_arrays },
    now: { names: ["Inner[]"], count: (c) => c.outer_inner_arrays + c.other_inner_arrays },
  },
  {
    what: "Other+Inner[]",
    sos: { name: `${NS}Other+Inner[]`, count: (c) => c.other_inner_arrays },
    now: { names: ["Inner[]"], count: (c) => c.outer_inner_arrays + c.other_inner_arrays },
  },
  { what: "string[,]", sos: { name: "System.String[,]", count: (c) => c.string_2d }, now: { names: ["System.String<,>"], count: (c) => c.string_2d } },
  {
    what: "Closures1+<>c",
    sos: { name: `${NS}Closures1+<>c`, count: (c) => c.closures1_c },
    now: { names: ["<>c", "[]c"], count: (c) => c.closures1_c + c.closures2_c },
  },
  {
    what: "Closures2+<>c",
    sos: { name: `${NS}Closures2+<>c`, count: (c) => c.closures2_c },
    now: { names: ["<>c", "[]c"], count: (c) => c.closures1_c + c.closures2_c },
  },
];

/** The row an expectation reads in a dump, and the program's count for it. */
function lookup(body: DumpSummaryBody, e: Expectation): { name: string; rowCount: number; programCount: (c: Counts) => number } {
  const sos = body.types.find((t) => t.type === e.sos.name);
  if (sos !== undefined) return { name: sos.type, rowCount: sos.count, programCount: e.sos.count };
  const now = body.types.find((t) => e.now.names.includes(t.type));
  return { name: now?.type ?? e.sos.name, rowCount: now?.count ?? 0, programCount: e.now.count };
}

describe.skipIf(skip)("a .NET heap of more than 10 M objects, dumped by the daemon with both cores busy", () => {
  let dll: string;
  const busy: ChildProcess[] = [];
  const targets: DotnetTarget[] = [];
  let daemon: CliDaemon | undefined;
  let dataDir: string | undefined;

  beforeAll(() => {
    dll = buildBigHeap();
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    for (const b of busy) b.kill("SIGKILL");
    for (const t of targets) await t.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("succeeds, and every count equals the program's own", async () => {
    // The runtime's own objects of the same names (CoreLib keeps a string[,]; the BCL has `<>c` classes), from the
    // same program with none of its own: what the big dump must show on top of the program's counts.
    const ref = await startBigHeap(dll, [0, 0, 0, 0]);
    targets.push(ref.target);
    const refCtx = makeContext(ref.target.pid);
    let baseline: DumpSummaryBody;
    try {
      baseline = await new DotnetEventPipeSource().dump(refCtx);
    } finally {
      refCtx.cleanup();
    }
    await ref.target.kill();

    for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    const { target, counts } = await startBigHeap(dll, [6_000_000, 4_200_000, 1000, 1]);
    targets.push(target);
    expect(counts.outer_inner + counts.other_inner).toBeGreaterThanOrEqual(10_000_000);

    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-bigheap-"));
    const token = "large-heap-test";
    daemon = await startCliDaemon(
      ["--data-dir", dataDir, "--pid", String(target.pid), "--name", "big", "--heap-source", "dotnet", "--dump-every", "1h", "--dump-timeout", "240s"],
      { env: { LEAKWATCH_ADMIN_TOKEN: token }, startTimeoutMs: 60_000 },
    );
    const d = daemon;
    const dumped = await waitFor(
      async () => {
        const res = await fetch(`${d.url}/api/v1/targets/big/dumps`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
        // 409 until the daemon has chosen the target's heap source.
        return res.status === 409 ? undefined : ((await res.json()) as { result: string; reason?: string; message?: string; dump?: { id: string } });
      },
      240_000,
      "a dump through the API",
    );
    expect(dumped, `dump outcome: ${JSON.stringify(dumped)}`).toMatchObject({ result: "success" });
    const body = (await (await d.get(`/api/v1/targets/big/dumps/${dumped.dump!.id}`)).json()) as DumpSummaryBody;
    // Counted a type id at a time, never an object at a time: the whole daemon stays small however big the heap.
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.pid}/status`, "utf8"))?.[1]);
    expect(peakKiB / 1024, "leakwatch's peak RSS (MiB)").toBeLessThan(200);
    expect(body.notes.join(" ")).toMatch(/counted alongside the stream by a worker thread/);

    for (const e of EXPECT) {
      const { name, rowCount, programCount } = lookup(body, e);
      const base = lookup(baseline, e);
      expect(rowCount, `${e.what} (row ${name}; the runtime's own: ${base.rowCount})`).toBe(programCount(counts) + base.rowCount);
    }
    expect(body.totalObjects).toBeGreaterThan(10_000_000);
    expect(body.notes.join(" ")).not.toMatch(/lost/);
  }, 420_000);
});
