// --help is generated from OPTIONS; these tests check that what it says is what the loader does: every option is
// listed, every "(default X)" is the real default, and every option really can be set as a flag, as
// LEAKWATCH_<OPTION> and as the camelCase key in the YAML file.
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { helpText, loadConfig, parseCli } from "../../../src/config/load.js";
import { OPTIONS, type OptionSpec, camel, documentedDefault, envName } from "../../../src/config/options.js";
import { load, tempFiles } from "./helpers.js";

const files = tempFiles();
afterAll(() => files.cleanup());
const HELP = helpText("9.9.9");
const META = new Set(["help", "version", "config"]);

describe("helpText", () => {
  it("names the version", () => {
    expect(HELP).toMatch(/^leakwatch 9\.9\.9 /);
  });

  it.each(OPTIONS.map((o) => [o.flag, o] as const))("lists --%s with its short form, placeholder and help", (flag, o) => {
    const line = HELP.split("\n").find((l) => new RegExp(`^\\s+(-\\w, )?--${flag}( |$)`).test(l));
    expect(line, `--${flag} is missing from --help`).toBeDefined();
    if (o.short) expect(line).toContain(`-${o.short}, --${flag}`);
    if (o.arg) expect(line).toContain(`--${flag} ${o.arg}`);
    expect(line).toContain(o.help);
  });

  it("every section heading appears once, and flags appear once each", () => {
    for (const s of new Set(OPTIONS.map((o) => o.section))) {
      expect(HELP.split("\n").filter((l) => l === `${s}:`)).toHaveLength(1);
    }
    for (const o of OPTIONS) {
      const lines = HELP.split("\n").filter((l) => new RegExp(`^\\s+(-\\w, )?--${o.flag}( |$)`).test(l));
      expect(lines, `--${o.flag}`).toHaveLength(1);
    }
  });

  it("states the LEAKWATCH_<OPTION> rule, with an example that works", () => {
    expect(HELP).toMatch(/LEAKWATCH_<OPTION>/);
    const m = /(LEAKWATCH_[A-Z_]+)=(\S+?)\)?( |$)/m.exec(HELP);
    expect(m, "an example LEAKWATCH_X=value").not.toBeNull();
    const [, name, value] = m!;
    const flag = OPTIONS.find((o) => envName(o.flag) === name);
    expect(flag, `${name} corresponds to an option`).toBeDefined();
    const fromEnv = load([], { [name!]: value! });
    const fromFlag = load([`--${flag!.flag}`, value!]);
    expect(fromEnv).toEqual(fromFlag);
    expect(fromEnv).not.toEqual(load([]));
  });

  it("mentions the precedence and the config-file keys", () => {
    expect(HELP).toMatch(/flags > LEAKWATCH_\* environment > file > defaults/);
    expect(HELP).toMatch(/camelCase key/);
  });

  it("includes extra options passed in, and parseCli accepts them", () => {
    const extra: OptionSpec[] = [{ flag: "dry-run", kind: "boolean", scope: "global", section: "Extra", help: "do nothing" }];
    expect(helpText("1", extra)).toMatch(/Extra:\n\s+--dry-run\s+do nothing/);
    expect(parseCli(["--dry-run"], extra).values).toEqual({ dryRun: true });
  });
});

/** A valid, non-default value for each option (by placeholder, with overrides where the value has a meaning). */
const SAMPLES: Record<string, string> = {
  pid: "4242",
  match: "java .*OrderService",
  cgroup: "/system.slice/app.service",
  name: "svc-1",
  "memory-limit": "300m",
  linger: "7s",
  listen: "127.0.0.1:9999",
  "log-level": "debug",
  "discovery-interval": "5s",
  "pss-max-rss": "2g",
  "heap-source": "jvm",
  "dump-schedule": "*/10 * * * *",
  "dump-at": "0.8",
  "heap-command": "jcmd {pid} GC.class_histogram",
  "keep-dumps": "3",
  "retention-analysis": "always",
  "max-types": "50",
  "verdict-window": "6",
  retention: "10",
  "admin-token": "a-long-secret-token",
  "dotnet-diagnostic-port": "/run/leakwatch/dotnet.sock",
  "min-growth-objects": "500",
  "load-url": "http://127.0.0.1:8080/orders",
  "load-method": "POST",
  "load-header": "X-Test: 1",
  "load-body": "{}",
  "load-command": "curl -s http://127.0.0.1:8080/",
  "load-from-metric": 'http://127.0.0.1:8080/metrics#http_requests_total{code="200"}',
};
const BY_PLACEHOLDER: Record<string, string> = {
  SIZE: "7m",
  DURATION: "7s",
  N: "7",
  FRACTION: "0.5",
  DIR: "/tmp/leakwatch-sample",
  FILE: "/tmp/leakwatch-sample",
  PATH: "/tmp/leakwatch-sample",
  CRON: "*/7 * * * *",
  TOKEN: "sample-token-123456",
  "HOST:PORT": "127.0.0.1:7777",
};

function sample(o: OptionSpec): string | undefined {
  if (o.kind === "boolean") return "true";
  return SAMPLES[o.flag] ?? (o.arg ? BY_PLACEHOLDER[o.arg] : undefined);
}

/** The target the option needs to be valid: a launched command, unless the option itself says what to watch. */
function baseTarget(o: OptionSpec): Record<string, unknown> | undefined {
  if (o.scope === "global") return undefined;
  if (o.flag === "name") return { pid: 1 };
  // The request trigger needs load to count.
  if (o.flag === "dump-every-requests") return { command: ["node", "x.js"], loadUrl: "http://127.0.0.1:8080/" };
  if (o.scope === "selector") return {};
  return { command: ["node", "x.js"] };
}

function targetArgv(t: Record<string, unknown> | undefined): string[] {
  if (!t) return [];
  if (t.pid !== undefined) return ["--pid", String(t.pid)];
  const load = t.loadUrl !== undefined ? ["--load-url", String(t.loadUrl)] : [];
  if (t.command) return [...load, "--", ...(t.command as string[])];
  return [];
}

describe("every option works as a flag, as LEAKWATCH_<OPTION> and as its camelCase YAML key", () => {
  const settable = OPTIONS.filter((o) => !META.has(o.flag));

  it.each(settable.map((o) => [o.flag, o] as const))("--%s", (flag, o) => {
    const value = sample(o);
    expect(value, `no sample value for --${flag}: add one to SAMPLES`).toBeDefined();
    const base = baseTarget(o);
    const baseArgv = targetArgv(base);
    // Flags go before "--" (the command), so split the base argv around it.
    const dashes = baseArgv.indexOf("--");
    const [before, after] = dashes < 0 ? [baseArgv, []] : [baseArgv.slice(0, dashes), baseArgv.slice(dashes)];
    const flagArgv = o.kind === "boolean" ? [`--${flag}`] : [`--${flag}`, value!];

    const baseline = loadConfig(parseCli([...before, ...after]), {});
    const viaFlag = loadConfig(parseCli([...before, ...flagArgv, ...after]), {});
    const viaEnv = loadConfig(parseCli([...before, ...after]), { [envName(flag)]: value! });
    const key = camel(flag);
    const doc = o.scope === "global" ? { [key]: value } : { targets: [{ ...base, [key]: o.kind === "boolean" ? true : value }] };
    const viaYaml = loadConfig(parseCli(["--config", files.yaml(JSON.stringify(doc))]), {});

    expect(viaFlag, "the flag has an effect").not.toEqual(baseline);
    expect(viaEnv, `${envName(flag)} acts like --${flag}`).toEqual(viaFlag);
    expect(viaYaml, `YAML key ${key} acts like --${flag}`).toEqual(viaFlag);
  });
});

describe('every "(default X)" in --help is the real default', () => {
  /** [flag, default as written in the help]. */
  const claims: [string, string][] = [];
  for (const o of OPTIONS) {
    const written = documentedDefault(o);
    if (written !== undefined) claims.push([o.flag, written]);
  }

  it("finds the documented defaults", () => {
    expect(claims.map(([f]) => f)).toEqual(expect.arrayContaining(["linger", "listen", "log-level", "discovery-interval", "pss-max-rss"]));
  });

  it.each(claims)("--%s %s", (flag, written) => {
    const o = OPTIONS.find((x) => x.flag === flag)!;
    if (flag === "data-dir" && process.env.XDG_STATE_HOME) return; // the default follows XDG_STATE_HOME then
    const value = written.replace(/^~(?=\/)/, os.homedir());
    const base = targetArgv(baseTarget(o));
    const dashes = base.indexOf("--");
    const [before, after] = dashes < 0 ? [base, []] : [base.slice(0, dashes), base.slice(dashes)];
    const explicit = loadConfig(parseCli([...before, `--${flag}`, value, ...after]), {});
    const implicit = loadConfig(parseCli([...before, ...after]), {});
    expect(explicit).toEqual(implicit);
  });

  it("listen's default is 0.0.0.0:9477, logLevel info, linger 30 s (spelled out)", () => {
    const c = load([]);
    expect(c.listen).toEqual({ host: "0.0.0.0", port: 9477 });
    expect(c.logLevel).toBe("info");
    expect(c.linger).toBe(30);
    expect(c.discoveryInterval).toBe(2);
    expect(c.pssMaxRss).toBe(1024 ** 3);
    expect(path.isAbsolute((c as { dataDir?: string }).dataDir ?? "/")).toBe(true);
  });
});
