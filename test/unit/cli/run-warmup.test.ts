// `leakwatch run`'s default warm-up: a fifth of --duration, at most 10 minutes; said in its --help.
import { describe, expect, it } from "vitest";
import { runWarmup } from "../../../src/cli/run.js";
import { OPTIONS } from "../../../src/config/options.js";

describe("leakwatch run --warmup default", () => {
  it("is a fifth of --duration, at most 10 minutes", () => {
    expect(runWarmup(180)).toBe(36);
    expect(runWarmup(3600)).toBe(600);
    expect(runWarmup(24 * 3600)).toBe(600);
    expect(runWarmup(4)).toBe(0);
  });

  it("is declared once, global, and its help says the run's default", () => {
    const o = OPTIONS.filter((x) => x.flag === "warmup");
    expect(o).toHaveLength(1);
    expect(o[0]!.scope).toBe("global");
    expect(o[0]!.help).toMatch(/leakwatch run: a fifth of --duration, at most 10m/);
  });
});
