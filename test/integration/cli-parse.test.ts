// `leakwatch parse` and `leakwatch diff` on fixtures captured from real tools.
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { leakwatch } from "../helpers/cli.js";

const fx = (f: string) => path.resolve(__dirname, "../fixtures/parsers", f);

describe("leakwatch parse / diff", () => {
  it("prints the normalised table of a jcmd histogram", async () => {
    const r = await leakwatch(["parse", fx("jcmd-class-histogram-jdk17.txt"), "--top", "3"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^jcmd-histogram: [\d,]+ objects/);
    const rows = r.stdout.trim().split("\n").slice(-3);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\s*[\d,]+\s+[\d,]+\s+byte\[\]$/);
  });

  it("prints JSON for a streamed V8 snapshot", async () => {
    const r = await leakwatch(["parse", fx("node20-leakything.heapsnapshot.gz"), "--json"]);
    expect(r.exitCode).toBe(0);
    const s = JSON.parse(r.stdout) as { format: string; types: { type: string; count: number }[] };
    expect(s.format).toBe("v8-heapsnapshot");
    expect(s.types.find((t) => t.type === "LeakyThing")?.count).toBeGreaterThan(0);
  });

  it("ranks growth between two dumps", async () => {
    const r = await leakwatch(["diff", fx("jmap-histo-live-jdk17.txt"), fx("jcmd-class-histogram-jdk17.txt"), "--json", "--top", "5"]);
    expect(r.exitCode).toBe(0);
    const d = JSON.parse(r.stdout) as { rows: { deltaBytes: number }[] };
    expect(d.rows).toHaveLength(5);
    for (let i = 1; i < d.rows.length; i++) expect(d.rows[i - 1]!.deltaBytes).toBeGreaterThanOrEqual(d.rows[i]!.deltaBytes);
  });

  it.each([
    [["parse"], 2, /parse takes one FILE/],
    [["parse", "/nonexistent/x.txt"], 1, /cannot read \/nonexistent\/x.txt: ENOENT/],
    [["parse", fx("jcmd-class-histogram-jdk17.txt"), "--format", "nope"], 2, /--format: expected one of/],
    [["parse", path.resolve(__dirname, "../../package.json")], 1, /line 1: unrecognised heap statistics format/],
    [["diff", fx("jcmd-class-histogram-jdk17.txt")], 2, /diff takes two files/],
    [["parse", path.resolve(__dirname, "../fixtures")], 1, /cannot read \S+\/test\/fixtures: EISDIR/],
  ])("%j fails with one line and exit %i", async (args, code, message) => {
    const r = await leakwatch(args as string[]);
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("prints a histogram of 200 k types (spreading that many rows into one call overflowed the stack)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-parse-"));
    try {
      const file = path.join(dir, "many.txt");
      writeFileSync(file, Array.from({ length: 200_000 }, (_, i) => `${i + 1} ${(i + 1) * 16} Type${i}`).join("\n") + "\n");
      const r = await leakwatch(["parse", file]);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/200000 types/);
      expect(r.stdout.trim().split("\n").length).toBeGreaterThan(200_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
