// docs/metrics.md and docs/configuration.md are generated from code (src/docs/reference.ts): the committed files
// must be what the code renders now, and must list everything the catalog and the options table hold.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_DOCS, renderConfigurationDoc, renderMetricsDoc } from "../../../src/docs/reference.js";
import { METRIC_CATALOG } from "../../../src/collectors/catalog.js";
import { OPTIONS, envName } from "../../../src/config/options.js";
import { RUN_OPTIONS } from "../../../src/cli/run.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe("generated reference pages", () => {
  it.each(Object.entries(GENERATED_DOCS))("%s is up to date (run `npm run docs`)", (file, render) => {
    const committed = readFileSync(path.join(ROOT, file), "utf8");
    expect(committed === render(), `${file} is out of date: run \`npm run docs\``).toBe(true);
  });

  it("docs/metrics.md lists every metric with its type and labels", () => {
    const md = renderMetricsDoc();
    expect(METRIC_CATALOG.length).toBeGreaterThan(50);
    for (const e of METRIC_CATALOG) {
      const row = md.split("\n").find((l) => l.startsWith(`| \`${e.name}\` |`));
      expect(row, e.name).toBeDefined();
      expect(row).toContain(`| ${e.type} |`);
      for (const l of e.labels) expect(row).toContain(`\`${l}\``);
    }
    for (const extra of ["leakwatch_scrape_collector_success", "leakwatch_build_info", "leakwatch_load_request_duration_seconds"]) {
      expect(md).toContain(`| \`${extra}\` |`);
    }
  });

  it("docs/configuration.md lists every option with its flag and environment variable", () => {
    const md = renderConfigurationDoc();
    for (const o of OPTIONS) {
      const row = md.split("\n").find((l) => new RegExp(`^\\| \`(-\\w, )?--${o.flag}[ \`]`).test(l));
      expect(row, o.flag).toBeDefined();
      if (o.flag !== "help" && o.flag !== "version") expect(row).toContain(envName(o.flag));
    }
    for (const o of RUN_OPTIONS) expect(md).toContain(`\`--${o.flag} ${o.arg}\``);
    expect(md).toContain("| `--listen HOST:PORT` | `LEAKWATCH_LISTEN` | `listen` | `0.0.0.0:9477` |");
    expect(md).toContain("| `--max-types N` | `LEAKWATCH_MAX_TYPES` | `targets[].maxTypes` | `100` |");
  });
});
