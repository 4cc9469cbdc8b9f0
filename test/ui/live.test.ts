// The live UI in a real browser, against a daemon watching a real leaking Node target (leaky.js, launched by the
// daemon, a V8 snapshot every 2 s): the page loads cleanly, the memory chart draws, the dump timeline has its
// points, LeakyThing heads the heap-types table as a suspect, and the diff between two picked dumps ranks it at the
// top. Saves test-artifacts/ui-live.png. With memory cgroups available (root), the target runs under
// --memory-limit so that the limit and headroom are real.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { memoryCgroupUnavailable, skipReason, waitFor } from "../helpers/env.js";
import { artifactPath, browserUnavailable, launchBrowser, watchPage, type TestBrowser, waitForUi } from "./browser.js";

const leaky = path.resolve(__dirname, "../fixtures/targets/leaky.js");
const noBrowser = browserUnavailable();
// Room for the headroom guard's careful first-dump estimate (40 × the target's ~8 MB of anonymous memory); later
// dumps go on what the first one measurably cost.
const LIMIT_MIB = 1000;

describe.skipIf(skipReason("live UI in chromium", noBrowser))("live UI against a leaking Node target", () => {
  let daemon: Daemon | undefined;
  let browser: TestBrowser | undefined;
  let dataDir = "";
  let base = "";
  const limited = memoryCgroupUnavailable() === null;

  beforeAll(async () => {
    if (!limited) console.warn(`live UI: no --memory-limit (${memoryCgroupUnavailable()}): the limit and headroom show "none"`);
    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-ui-"));
    const argv = ["--listen", "127.0.0.1:0", "--data-dir", dataDir, "--dump-every", "2s", "--min-growth", "1k", "--name", "node"];
    if (limited) argv.push("--memory-limit", `${LIMIT_MIB}m`);
    const config = loadConfig(parseCli([...argv, "--", process.execPath, leaky, "10"]), {});
    daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }));
    const [b] = await Promise.all([launchBrowser(), daemon.start()]);
    browser = b;
    base = `http://127.0.0.1:${daemon.address!.port}/`;
    await waitFor(
      async () => {
        const r = await fetch(`${base}api/v1/targets/node/suspects`);
        const s = (await r.json()) as { type: string }[];
        return s.some((v) => v.type === "LeakyThing") || undefined;
      },
      30_000,
      "LeakyThing to be a suspect",
    );
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("shows memory, the dump timeline, LeakyThing first as a suspect and a working diff, without console errors", async () => {
    const page = await browser!.context.newPage();
    const { problems, dialogs } = watchPage(page);
    await page.goto(base);

    // Header: the target, up, its pid.
    await waitForUi(page, "#target-info .badge.up", problems, "the target up");
    const info = await page.textContent("#target-info");
    expect(info).toContain(`pid ${daemon!.targets.targets[0]!.main!.pid}`);
    expect(info).toContain("runtime node");
    expect(await page.$eval("#target", (s) => (s as HTMLSelectElement).value)).toBe("node");

    // Heap types: suspects first, LeakyThing at the top, marked.
    await waitForUi(page, "#types tbody tr.suspect", problems, "the suspect row");
    const first = await page.$eval("#types tbody tr", (tr) => ({
      type: (tr as HTMLElement).dataset.type,
      cls: tr.className,
      badge: tr.querySelector(".badge.leak")?.textContent,
    }));
    expect(first).toEqual({ type: "LeakyThing", cls: "suspect", badge: "LEAK" });
    const sparkPoints = await page.$eval("#types tbody tr.suspect polyline", (p) => p.getAttribute("points")!.split(" ").length);
    expect(sparkPoints).toBeGreaterThanOrEqual(6);
    expect(await page.textContent("#card-suspects-sub")).toContain("LeakyThing");

    // Leaks lead: one card, rooted at LeakyThing (the array it piles up in is the accumulation point, not the
    // leak), with what it retains, its chart and its path from a GC root ending at it.
    await waitForUi(page, "#leaks .leak", problems, "a leak card");
    const card = await page.$eval("#leaks .leak", (c) => ({
      root: c.querySelector("h3")?.textContent,
      text: c.textContent ?? "",
      path: [...c.querySelectorAll("ol.path li")].map((li) => li.textContent ?? ""),
      spark: c.querySelector("svg.spark") !== null,
    }));
    expect(card.root).toBe("LeakyThing");
    expect(card.text).toMatch(/retains \d[\d.]* (KiB|MiB)/);
    expect(card.path.at(-1)).toMatch(/→ LeakyThing$/);
    expect(card.spark).toBe(true);

    // Memory chart: wait for a few samples (one per 2 s), then the canvas must have drawn lines.
    await waitFor(
      async () => ((await page.evaluate(() => document.querySelectorAll("#mem-chart .u-over").length)) === 1 ? true : undefined),
      10_000,
      "the chart",
    );
    const drawn = await waitFor(
      async () => {
        const n = await page.$eval("#mem-chart canvas", (c) => {
          const canvas = c as HTMLCanvasElement;
          const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
          let coloured = 0;
          // count strongly blue pixels (the RSS line, #3867d6); grid and axes are grey
          for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && data[i + 2]! > 150 && data[i]! < 120) coloured++;
          return coloured;
        });
        return n > 100 ? n : undefined;
      },
      10_000,
      "RSS line pixels on the chart canvas",
    );
    expect(drawn).toBeGreaterThan(100);
    const rss = await page.textContent("#card-rss");
    expect(rss).toMatch(/\d.* (KiB|MiB|GiB)$/);
    if (limited) {
      expect(await page.textContent("#card-limit")).toBe(`${LIMIT_MIB} MiB`);
      expect(await page.textContent("#card-headroom")).toMatch(/MiB$/);
      expect(await page.textContent("#card-headroom-sub")).toMatch(/% of the limit free/);
    } else expect(await page.textContent("#card-limit")).toBe("none");
    expect(await page.textContent("#card-load")).toBe("no load");

    // Dump timeline: one point per stored dump in the window (≥ 6 for a suspect).
    const points = await page.$$eval("#timeline circle.m-ok", (cs) => cs.length);
    expect(points).toBeGreaterThanOrEqual(6);

    // Diff: pick the oldest and the newest dump → LeakyThing ranks first or second.
    const ids = await page.$$eval("#diff-from option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(ids.length).toBeGreaterThanOrEqual(6);
    const oldest = ids.at(-1)!;
    const newest = ids[0]!;
    await page.selectOption("#diff-from", oldest);
    await page.selectOption("#diff-to", newest);
    await waitFor(async () => (await page.textContent("#diff-summary"))?.includes("→") || undefined, 5000, "the diff summary");
    const diffTypes = await page.$$eval("#diff tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.type));
    expect(diffTypes.length).toBeGreaterThanOrEqual(2);
    expect(await page.textContent("#diff tbody tr:first-child td.pos")).toMatch(/^\+/);
    expect(diffTypes.slice(0, 2)).toContain("LeakyThing");
    expect(await page.$eval("#diff-from", (s) => (s as HTMLSelectElement).value)).toBe(oldest);

    // A refresh cycle later (3 s) the page is still healthy and the selection is kept.
    await page.waitForTimeout(3500);
    expect(await page.$eval("#diff-from", (s) => (s as HTMLSelectElement).value)).toBe(oldest);
    expect(await page.textContent("#status-line")).toMatch(/^updated /);

    await page.screenshot({ path: artifactPath("ui-live.png"), fullPage: true });
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
