// The verdict's states over seeded synthetic series, fed dump after dump to the verdict window as the daemon does:
// a leak with one release stays leaking, a warm-up hides a filling cache, staircases and noisy leaks do not flicker,
// and sawtooth, LRU, constant and noisy constant types are never leaking.
import { describe, expect, it } from "vitest";
import type { VerdictOptions } from "../../../src/analysis/verdict.js";
import type { VerdictState } from "../../../src/analysis/verdict-state.js";
import { TypeWindow } from "../../../src/analysis/window.js";
import { boundedLru, gaussian, linear, MiB, sawtooth, withNoise } from "./synthetic.js";

const INTERVAL_MS = 2000;

function drain<T>(gen: Generator<unknown, T, void>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** The state of type "T" after each dump of `bytes` (2 s apart; a constant type alongside). */
function states(bytes: readonly number[], options: VerdictOptions = {}): { state: VerdictState; reason: string }[] {
  const w = new TypeWindow(options.window ?? 12);
  return bytes.map((b, i) => {
    w.push({ time: 1_700_000_000_000 + i * INTERVAL_MS }, [
      { type: "T", count: Math.round(b / 64), bytes: Math.round(b) },
      { type: "Background", count: 100, bytes: 5 * MiB },
    ]);
    const table = drain(w.verdicts(options));
    const v = table.at(table.indexOf("T"))!;
    return { state: v.state, reason: v.reason };
  });
}

const leaking = (s: { state: VerdictState }[]) => s.map((x) => x.state === "leaking");
const firstLeak = (s: { state: VerdictState }[]) => s.findIndex((x) => x.state === "leaking");
const heldAfterFirst = (s: { state: VerdictState }[]) => {
  const f = firstLeak(s);
  return f >= 0 && s.slice(f).every((x) => x.state === "leaking");
};

/** Linear growth, `depth` of what it gained (what the leak holds) freed at once at dump `at`, then linear growth again. */
function withRelease(n: number, base: number, perDump: number, at: number, depth: number): number[] {
  const freed = depth * perDump * (at - 1);
  return Array.from({ length: n }, (_, i) => base + perDump * i - (i >= at ? freed : 0));
}

describe("verdict states — a leak that releases part of what it holds once", () => {
  // A release of 20% is within the noise at ½ a dump's growth: there it is a dip, and may end the state.
  for (const [depth, noises] of [
    [0.2, [0, 0.25]],
    [0.4, [0, 0.25, 0.5]],
    [0.6, [0, 0.25, 0.5]],
  ] as const) {
    it(`stays leaking at every dump after it was first flagged (release of ${depth * 100}% of what it holds, 3 onsets × ${noises.length} noise levels × 10 seeds)`, () => {
      for (const at of [18, 25, 32]) {
        for (const noise of noises) {
          for (let seed = 1; seed <= 10; seed++) {
            const s = states(withNoise(withRelease(60, 20 * MiB, MiB, at, depth), noise * MiB, seed * 31 + at));
            expect(firstLeak(s), `release at ${at}, noise ${noise}, seed ${seed}`).toBeGreaterThanOrEqual(0);
            expect(firstLeak(s)).toBeLessThan(at);
            expect(heldAfterFirst(s), `release at ${at}, noise ${noise}, seed ${seed}: ${s.map((x) => x.state[0]).join("")}`).toBe(true);
          }
        }
      }
    });
  }

  it("a release back to within a quarter of the growth, for two dumps, is a cache cleared: settling", () => {
    const s = states(withRelease(40, 20 * MiB, MiB, 25, 0.9));
    expect(s[24]!.state).toBe("leaking");
    expect(s[26]!.state).toBe("settling");
  });

  it("the reason says why it is still leaking while the window alone no longer proves it", () => {
    const s = states(withRelease(40, 20 * MiB, MiB, 25, 0.4));
    expect(s[27]!.state).toBe("leaking");
    expect(s[27]!.reason).toMatch(/^still leaking \(proven at .*\/s for \d+ dumps\): no sustained plateau or decline/);
  });

  it("the window's verdict before (main) lost it for several dumps after the release: the case this fixes", () => {
    // The window alone: "proven" drops after the release (its Mann–Kendall sees the drop).
    const w = new TypeWindow(12);
    const series = withRelease(40, 20 * MiB, MiB, 25, 0.4);
    const proven: boolean[] = [];
    series.forEach((b, i) => {
      w.push({ time: i * INTERVAL_MS }, [{ type: "T", count: 1, bytes: b }]);
      proven.push(drain(w.verdicts()).at(0)!.proven);
    });
    expect(proven.slice(26, 34).filter((p) => !p).length).toBeGreaterThan(3);
  });
});

describe("verdict states — warm-up", () => {
  /** A cache that fills for `fill` dumps, then stays flat. */
  const filling = (n: number, fill: number, perDump = MiB) => Array.from({ length: n }, (_, i) => 20 * MiB + perDump * Math.min(i, fill));

  for (const [fill, warmup] of [
    [8, 20],
    [12, 30],
    [20, 45],
  ] as const) {
    it(`a cache that fills for ${fill} dumps (${fill * 2} s) is never leaking with --warmup ${warmup}s, and stable during it`, () => {
      for (const noise of [0, 0.1, 0.3]) {
        for (let seed = 1; seed <= 10; seed++) {
          const s = states(withNoise(filling(60, fill), noise * MiB, seed), { warmupSeconds: warmup });
          expect(
            s.some((x) => x.state === "leaking"),
            `noise ${noise}, seed ${seed}: ${s.map((x) => x.state[0]).join("")}`,
          ).toBe(false);
          const during = s.slice(0, Math.ceil((warmup * 1000) / INTERVAL_MS));
          expect(during.every((x) => x.state === "stable" && /^warm-up/.test(x.reason))).toBe(true);
        }
      }
    });
  }

  it("without a warm-up the same cache is flagged while it fills, and leaves leaking within 3 dumps of its plateau", () => {
    for (const fill of [10, 12, 16, 20]) {
      const s = states(filling(50, fill));
      expect(firstLeak(s), `fill ${fill}`).toBeGreaterThan(0);
      // Dump `fill` is the first at the plateau's level; three flat steps later it is no longer leaking.
      expect(
        leaking(s)
          .slice(fill + 3)
          .some(Boolean),
        `fill ${fill}: ${s.map((x) => x.state[0]).join("")}`,
      ).toBe(false);
      expect(s[fill + 3]!.state).toBe("settling");
      expect(s.at(-1)!.state).toBe("stable");
    }
  });

  it("a leak that runs through the warm-up is leaking from the first dump after it", () => {
    for (const warmup of [10, 30, 60]) {
      const s = states(linear(60, 20 * MiB, MiB), { warmupSeconds: warmup });
      const end = Math.ceil((warmup * 1000) / INTERVAL_MS);
      expect(s.slice(0, end).every((x) => x.state === "stable")).toBe(true);
      expect(firstLeak(s), `warm-up ${warmup}s`).toBe(Math.max(end, 5));
      expect(heldAfterFirst(s)).toBe(true);
    }
  });
});

describe("verdict states — leaks do not flicker", () => {
  it("staircases (a step every 2–5 dumps) stay leaking once flagged", () => {
    for (const period of [2, 3, 4, 5]) {
      const s = states(Array.from({ length: 60 }, (_, i) => 20 * MiB + period * MiB * Math.floor(i / period)));
      expect(firstLeak(s), `period ${period}`).toBeGreaterThanOrEqual(0);
      expect(heldAfterFirst(s), `period ${period}: ${s.map((x) => x.state[0]).join("")}`).toBe(true);
    }
  });

  it("noisy leaks (noise ½ and 1 × the growth per dump) stay leaking at ≥ 97% of the dumps after the first flag", () => {
    for (const noise of [0.5, 1]) {
      let held = 0;
      let total = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const s = states(withNoise(linear(60, 20 * MiB, MiB), noise * MiB, seed));
        const f = firstLeak(s);
        expect(f, `noise ${noise}, seed ${seed}`).toBeGreaterThanOrEqual(0);
        held += s.slice(f).filter((x) => x.state === "leaking").length;
        total += s.length - f;
      }
      expect(held / total, `noise ${noise}`).toBeGreaterThanOrEqual(0.97);
    }
  });

  it("one low dump does not end leaking; a sustained decline does", () => {
    const dip = linear(30, 20 * MiB, MiB);
    dip[20] = 10 * MiB;
    expect(heldAfterFirst(states(dip))).toBe(true);
    const decline = [...linear(20, 20 * MiB, MiB), ...Array.from({ length: 10 }, (_, i) => 39 * MiB - (i + 1) * 0.5 * MiB)];
    const s = states(decline);
    expect(s[19]!.state).toBe("leaking");
    expect(s.slice(23).every((x) => x.state !== "leaking")).toBe(true);
    expect(s[23]!.reason).toMatch(/^settling for \d+ dumps: the last \d+ dumps rise/);
  });

  it("settling goes back to leaking when the type is proven again above its peak", () => {
    const series = [...linear(20, 20 * MiB, MiB), ...Array<number>(8).fill(39 * MiB), ...linear(20, 40 * MiB, MiB)];
    const s = states(series);
    expect(s[26]!.state).toBe("settling");
    expect(s.at(-1)!.state).toBe("leaking");
  });
});

describe("verdict states — caches are not leaking", () => {
  /** States and the window's own evidence after each dump. */
  function withEvidence(bytes: readonly number[]): { state: VerdictState; proven: boolean }[] {
    const w = new TypeWindow(12);
    return bytes.map((b, i) => {
      w.push({ time: i * INTERVAL_MS }, [{ type: "T", count: 1, bytes: Math.round(b) }]);
      const v = drain(w.verdicts()).at(0)!;
      return { state: v.state, proven: v.proven };
    });
  }

  it("sawtooth caches shorter than a verdict's 6 dumps never are; longer ones only in their first fill, which no verdict can tell from a leak, and at most 2 dumps after its first drop", () => {
    for (let period = 3; period <= 10; period++) {
      for (let phase = 0; phase < period; phase++) {
        for (const noise of [0, 0.2]) {
          const s = states(withNoise(sawtooth(60, 20 * MiB, MiB, period, phase), noise * MiB, period * 100 + phase));
          const what = `period ${period}, phase ${phase}, noise ${noise}: ${s.map((x) => x.state[0]).join("")}`;
          if (period < 6)
            expect(
              s.some((x) => x.state === "leaking"),
              what,
            ).toBe(false);
          // The first drop after a fill of at least 6 dumps.
          let drop = period - phase;
          while (drop < 6) drop += period;
          expect(
            leaking(s)
              .slice(drop + 2)
              .some(Boolean),
            what,
          ).toBe(false);
        }
      }
    }
  });

  it("bounded LRUs: leaking only while the window itself proves a rise, and at most 2 dumps after", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rate = 0.2 + 0.05 * (seed % 8);
      const s = withEvidence(boundedLru(60, 20 * MiB, 20 * MiB + (5 + (seed % 20)) * MiB, rate));
      const lastProven = s.map((x) => x.proven).lastIndexOf(true);
      s.forEach((x, i) => {
        if (x.state === "leaking") expect(i, `seed ${seed}`).toBeLessThanOrEqual(lastProven + 2);
      });
    }
  });

  it("constants and noisy constants (2% noise) never are, over seeds", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const g = gaussian(seed);
      const noisy = Array.from({ length: 60 }, () => 30 * MiB + 0.02 * 30 * MiB * g());
      expect(
        states(noisy).some((x) => x.state === "leaking"),
        `noisy, seed ${seed}`,
      ).toBe(false);
    }
    expect(states(Array<number>(60).fill(30 * MiB)).every((x) => x.state === "stable")).toBe(true);
  });
});

describe("verdict states — the window keeps them", () => {
  it("asking twice for one dump's verdicts gives the same states (the history advances once per dump)", () => {
    const w = new TypeWindow(12);
    const series = withRelease(40, 20 * MiB, MiB, 25, 0.4);
    series.forEach((b, i) => {
      w.push({ time: i * INTERVAL_MS }, [{ type: "T", count: 1, bytes: b }]);
      const a = drain(w.verdicts()).at(0)!;
      const again = drain(w.verdicts()).at(0)!;
      expect(again).toEqual(a);
    });
  });

  it("a type's history is a few numbers: a type that leaves the window and comes back starts afresh", () => {
    const opts = { window: 6 };
    const w = new TypeWindow(6);
    for (let i = 0; i < 10; i++) {
      w.push({ time: i * INTERVAL_MS }, [{ type: "T", count: 1, bytes: (20 + i) * MiB }]);
      drain(w.verdicts(opts));
    }
    expect(drain(w.verdicts(opts)).at(0)!.state).toBe("leaking");
    for (let i = 10; i < 17; i++) {
      w.push({ time: i * INTERVAL_MS }, [{ type: "Other", count: 1, bytes: MiB }]);
      drain(w.verdicts(opts));
    }
    expect(w.has("T")).toBe(false);
    w.push({ time: 17 * INTERVAL_MS }, [{ type: "T", count: 1, bytes: 40 * MiB }]);
    const v = drain(w.verdicts(opts));
    expect(v.at(v.indexOf("T"))!.state).toBe("stable");
    expect(v.at(v.indexOf("T"))!.stateDumps).toBe(0);
  });
});
