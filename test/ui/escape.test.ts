// Type names come from the target's heap: untrusted text. A scripted heap source names its types with HTML and
// script; the UI must show them as text everywhere (types table, suspects card, diff, timeline tooltips) and never
// run them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import type { HeapSource } from "../../src/model/dump.js";
import { skipReason, waitFor } from "../helpers/env.js";
import { artifactPath, browserUnavailable, launchBrowser, watchPage, type TestBrowser, waitForUi } from "./browser.js";
import { scriptedSource } from "../helpers/scripted-source.js";

const TOKEN = "ui-escape-test-token-0123456789";
const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>window.__pwned=1</script>";
const MIXED = `"&amp;<b>bold</b>'`;
// A right-to-left override (U+202E): the parsers write it out as "\u{202E}", but a source that does not parse
// (and summaries stored before) may still carry it; the UI isolates type names so it cannot reorder their neighbours.
const RLO = "Evil\u202Egnp.exe";

function scripted(): HeapSource {
  return scriptedSource((n) => [
    { type: IMG, count: n * 1000, bytes: n * 2_000_000 },
    { type: SCRIPT, count: 500, bytes: 10_000_000 },
    { type: MIXED, count: 10 + n, bytes: 1_000 + n * 10 },
    { type: RLO, count: 5, bytes: 500 },
  ]);
}

const noBrowser = browserUnavailable();

describe.skipIf(skipReason("UI escaping in chromium", noBrowser))("type names with HTML in the UI", () => {
  let daemon: Daemon | undefined;
  let browser: TestBrowser | undefined;
  let dataDir = "";
  let base = "";

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-ui-esc-"));
    const config = loadConfig(
      parseCli(["--listen", "127.0.0.1:0", "--pid", String(process.pid), "--name", "svc", "--data-dir", dataDir, "--min-growth", "1k", "--admin-token", TOKEN]),
      {},
    );
    daemon = new Daemon(config, pino({ level: "silent" }), { chooseSource: async () => ({ runtime: "node", source: scripted() }) });
    const [b] = await Promise.all([launchBrowser(), daemon.start()]);
    browser = b;
    base = `http://127.0.0.1:${daemon.address!.port}/`;
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${base}api/v1/targets/svc/dumps`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(201);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("shows them as text and runs nothing", async () => {
    const page = await browser!.context.newPage();
    const { problems, dialogs } = watchPage(page);
    await page.goto(base);
    await waitForUi(page, "#types tbody tr.suspect", problems, "the suspect row");
    await waitFor(async () => ((await page.$$("#diff tbody tr[data-type]")).length >= 2 ? true : undefined), 5000, "diff rows");

    const typeCells = await page.$$eval("#types tbody td.type", (tds) => tds.map((td) => td.textContent));
    expect(typeCells).toEqual([IMG, SCRIPT, MIXED, RLO]); // the suspect first, then by bytes
    // Every place a type name is shown isolates it (unicode-bidi: isolate), so an override stays inside it.
    const bidi = await page.$$eval("#types tbody td.type, #diff tbody td.type, #card-suspects-sub", (els) => els.map((e) => getComputedStyle(e).unicodeBidi));
    expect(bidi.length).toBeGreaterThan(4);
    expect(new Set(bidi)).toEqual(new Set(["isolate"]));
    const firstRow = await page.$eval("#types tbody tr", (tr) => ({ cls: tr.className, type: (tr as HTMLElement).dataset.type }));
    expect(firstRow).toEqual({ cls: "suspect", type: IMG });
    expect(await page.textContent("#card-suspects-sub")).toBe(IMG);
    const diffCells = await page.$$eval("#diff tbody td.type", (tds) => tds.map((td) => td.textContent));
    expect(diffCells[0]).toBe(IMG);
    expect(diffCells).toContain(MIXED);

    // Nothing from a type name became markup or ran.
    const injected = await page.evaluate(() => ({
      imgs: document.querySelectorAll("img").length,
      scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
      bold: document.querySelectorAll("main b:not(.kv b)").length,
      pwned: (window as unknown as { __pwned?: number }).__pwned,
    }));
    expect(injected).toEqual({ imgs: 0, scripts: ["ui/vendor/uplot/uPlot.iife.min.js", "ui/app.js"], bold: 0, pwned: undefined });
    await page.waitForTimeout(300); // an onerror would have fired by now
    expect(dialogs).toEqual([]);

    await page.screenshot({ path: artifactPath("ui-escape.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
