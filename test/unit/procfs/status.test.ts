import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSmapsRollupPss, parseStatus } from "../../../src/procfs/status.js";

const PROC = fileURLToPath(new URL("../../fixtures/procfs/proc/", import.meta.url));
const read = (rel: string) => readFileSync(PROC + rel, "utf8");

describe("parseStatus", () => {
  it("memory lines in kB → bytes (fixture of a node process)", () => {
    expect(parseStatus(read("4242/status"))).toEqual({
      rss: 204936 * 1024,
      rssPeak: 230400 * 1024,
      rssAnon: 160000 * 1024,
      rssFile: 44000 * 1024,
      rssShmem: 936 * 1024,
      virtual: 1117064 * 1024,
      swap: 1024 * 1024,
    });
  });

  it("a kernel thread has no Vm*/Rss* lines → every field undefined", () => {
    const m = parseStatus(read("77/status"));
    expect(m).toEqual({});
    expect(m.rss).toBeUndefined();
  });

  it("missing fields stay undefined (old kernels have no RssAnon/RssFile/RssShmem)", () => {
    const m = parseStatus("Name:\tx\nVmSize:\t  2048 kB\nVmRSS:\t  1024 kB\n");
    expect(m).toEqual({ virtual: 2048 * 1024, rss: 1024 * 1024 });
    expect(m.rssAnon).toBeUndefined();
    expect(m.swap).toBeUndefined();
  });

  it("0 kB is 0, not undefined", () => {
    expect(parseStatus("VmSwap:\t       0 kB\n").swap).toBe(0);
  });

  it("ignores similar keys, values without kB and garbage", () => {
    const m = parseStatus("VmRSSX:\t5 kB\nvmrss:\t6 kB\nVmHWM:\tabc kB\nVmRSS:\t7\nRssAnon 8 kB\n");
    expect(m).toEqual({});
  });

  it("empty input → {}", () => {
    expect(parseStatus("")).toEqual({});
  });
});

describe("parseSmapsRollupPss", () => {
  it("the Pss: line in bytes, not Pss_Anon/Pss_File/SwapPss", () => {
    expect(parseSmapsRollupPss(read("4242/smaps_rollup"))).toBe(190123 * 1024);
  });

  it("finds Pss: wherever it is, even after Pss_* and SwapPss lines", () => {
    const text = "[rollup]\nSwapPss:   9 kB\nPss_Anon:  5 kB\nPss_File:  6 kB\nPss:       11 kB\n";
    expect(parseSmapsRollupPss(text)).toBe(11 * 1024);
  });

  it("no Pss: line → undefined", () => {
    expect(parseSmapsRollupPss("Rss: 10 kB\nPss_Anon: 5 kB\nSwapPss: 3 kB\n")).toBeUndefined();
    expect(parseSmapsRollupPss("")).toBeUndefined();
  });
});
