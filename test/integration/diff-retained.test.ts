// `leakwatch diff A B --retained` on two real V8 snapshots of a program whose sessions each hold a 4 KiB buffer:
// ranked by what the types keep alive, the sessions' growth is their buffers' (the shallow diff sees a few dozen
// bytes per session), and a file without references is refused with one line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leakwatch } from "../helpers/cli.js";

const PROGRAM = `
class Session { constructor(i) { this.buf = Buffer.alloc(4096); this.id = i; } }
const sessions = new Map();
const v8 = require("v8");
for (let i = 0; i < 500; i++) sessions.set(i, new Session(i));
v8.writeHeapSnapshot(process.argv[1]);
for (let i = 500; i < 2500; i++) sessions.set(i, new Session(i));
v8.writeHeapSnapshot(process.argv[2]);
`;

let dir: string;
let a: string;
let b: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lw-diff-retained-"));
  a = path.join(dir, "a.heapsnapshot");
  b = path.join(dir, "b.heapsnapshot");
  execFileSync(process.execPath, ["-e", PROGRAM, a, b], { stdio: "ignore" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  type: string;
  deltaBytes: number;
  deltaCount: number;
}

describe("leakwatch diff --retained", () => {
  it("ranks by retained growth: 2000 more sessions retain at least their 4 KiB buffers each", async () => {
    const r = await leakwatch(["diff", a, b, "--retained", "--json", "--top", "1000"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { retained: boolean; rows: Row[] }).rows;
    const session = rows.find((x) => x.type === "Session")!;
    expect(session.deltaCount).toBe(2000);
    expect(session.deltaBytes).toBeGreaterThanOrEqual(2000 * 4096);
    // The shallow diff of the same files: a session is a few dozen bytes of its own.
    const shallow = await leakwatch(["diff", a, b, "--json", "--top", "1000"]);
    const own = (JSON.parse(shallow.stdout) as { rows: Row[] }).rows.find((x) => x.type === "Session")!;
    expect(own.deltaBytes).toBeLessThan(2000 * 200);
    // Sorted by retained growth, largest first.
    expect(rows.every((x, i) => i === 0 || x.deltaBytes <= rows[i - 1]!.deltaBytes)).toBe(true);
  });

  it("refuses a file without references in one line", async () => {
    const txt = path.join(dir, "histogram.txt");
    writeFileSync(
      txt,
      " num     #instances         #bytes  class name\n   1:            10            160  java.lang.String\nTotal            10            160\n",
    );
    const r = await leakwatch(["diff", txt, b, "--retained"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--retained reads heap dumps with references/);
  });
});
