// Debian's chromium driven by playwright-core (which downloads no browser). Tests skip, saying why, without it.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** null when the UI tests can run here; otherwise why not. */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent (install Debian's chromium: apt-get install chromium; scripts/test.sh does it as root)`;
  return null;
}

export const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "lw-chromium-"));
  // A persistent context needs a user-data-dir of its own: a new empty one per run, removed afterwards.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser: context.browser()!,
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors, uncaught exceptions, failed requests and dialogs of a page, collected for assertions. */
export function watchPage(page: Page): { problems: string[]; dialogs: string[] } {
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return { problems, dialogs };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * page.waitForSelector, but a timeout says what the page was showing: its status line (where a failed refresh is
 * reported), whether its first refresh ended, and the problems watchPage collected. A screenshot is saved too.
 */
export async function waitForUi(page: Page, selector: string, problems: string[], what: string): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: 45_000 });
  } catch (err) {
    const status = await page.textContent("#status-line").catch(() => "(unreadable)");
    const ready = await page.evaluate(() => document.body.dataset.ready ?? "no").catch(() => "(unreadable)");
    await page.screenshot({ path: artifactPath(`stuck-${what.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => undefined);
    throw new Error(
      `${what}: ${selector} never appeared (${(err as Error).message.split("\n")[0]}); status line: ${status}; first refresh done: ${ready}; problems: ${problems.join(" | ") || "none"}`,
    );
  }
}
