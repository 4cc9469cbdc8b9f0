// Flags > LEAKWATCH_* environment > YAML file > defaults, validated once by the schema. Any problem becomes a
// ConfigError whose message is one line naming the field (and its flag) and what was expected.
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { configSchema, type Config } from "./schema.js";
import { OPTIONS, camel, envName, flagForKey } from "./options.js";

export class ConfigError extends Error {}

export interface CliArgs {
  /** Option values by camelCase key, as given (strings/booleans). */
  values: Record<string, string | boolean>;
  /** Words before `--` (a subcommand and its operands). */
  positionals: string[];
  /** Everything after `--`: the command to launch. */
  command: string[];
}

export function parseCli(argv: string[], extra: typeof OPTIONS = []): CliArgs {
  const specs = [...OPTIONS, ...extra];
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const o of specs) options[o.flag] = o.short ? { type: o.kind, short: o.short } : { type: o.kind };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    // Node's messages name the flag, sometimes over several lines: keep it to one ("ambiguous" keeps the hint on
    // how to pass a value starting with a dash), and drop the "To specify a positional argument…" advice.
    const lines = (err as Error).message
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const first = lines[0]!.split(". ")[0]!.replace(/\.$/, "");
    const dash = lines.find((l) => l.startsWith("To specify an option argument starting with a dash"));
    throw new ConfigError(dash ? `${first}; ${dash.charAt(0).toLowerCase()}${dash.slice(1).replace(/\.$/, "")}` : first);
  }
  const terminator = parsed.tokens.find((t) => t.kind === "option-terminator");
  const positionals: string[] = [];
  const command: string[] = [];
  for (const t of parsed.tokens) {
    if (t.kind !== "positional") continue;
    (terminator && t.index > terminator.index ? command : positionals).push(t.value);
  }
  const values: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(parsed.values)) if (v !== undefined) values[camel(k)] = v as string | boolean;
  return { values, positionals, command };
}

function fromEnv(env: NodeJS.ProcessEnv, specs: typeof OPTIONS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of specs) {
    if (o.flag === "help" || o.flag === "version") continue;
    const v = env[envName(o.flag)];
    if (v !== undefined && v !== "") out[camel(o.flag)] = v;
  }
  return out;
}

/** A config file is a few kilobytes; anything far larger is not one (`--config /dev/zero` read forever). */
const MAX_CONFIG_BYTES = 1024 * 1024;

function readFileConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    if (!st.isFile()) throw new ConfigError(`config file ${file}: not a regular file`);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${file}: ${st.size} bytes, more than a config file's ${MAX_CONFIG_BYTES}`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    // yaml is loaded only when a config file is given (~3 MB resident otherwise spent for nothing).
    const { parse: parseYaml } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError(`config file ${file}: expected a mapping at the top level`);
  return doc as Record<string, unknown>;
}

/**
 * Merges flags > LEAKWATCH_* > the YAML file > `defaults` (a subcommand's own defaults for global settings) > the
 * schema's defaults, and validates.
 */
export function loadConfig(cli: CliArgs, env: NodeJS.ProcessEnv = process.env, extra: typeof OPTIONS = [], defaults: Record<string, unknown> = {}): Config {
  const specs = [...OPTIONS, ...extra];
  const scopeOf = new Map(specs.map((o) => [camel(o.flag), o.scope]));
  const envValues = fromEnv(env, specs);
  const configPath = (cli.values.config as string | undefined) ?? envValues.config;
  const file = configPath ? readFileConfig(configPath) : {};

  const layer = (values: Record<string, unknown>) => {
    const global: Record<string, unknown> = {};
    const target: Record<string, unknown> = {};
    const selector: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) {
      const scope = scopeOf.get(k);
      if (k === "config" || k === "help" || k === "version") continue;
      if (scope === "target") target[k] = v;
      else if (scope === "selector") selector[k] = v;
      else global[k] = v;
    }
    return { global, target, selector };
  };
  const envL = layer(envValues);
  const cliL = layer(cli.values);
  // Flags > env for the target as a whole: a target named by flags drops the one named in the environment (its
  // name, a label, still applies) instead of combining with it into "two selectors".
  const flagsNameTarget = cli.command.length > 0 || ["pid", "match", "cgroup"].some((k) => cliL.selector[k] !== undefined);
  const envSelector = flagsNameTarget ? { name: envL.selector.name } : envL.selector;
  const cliSelector: Record<string, unknown> = { ...envSelector, ...cliL.selector };
  if (cli.command.length > 0) cliSelector.command = cli.command;

  const { targets: fileTargets, ...fileGlobal } = file;
  if (fileTargets !== undefined && !Array.isArray(fileTargets)) {
    throw new ConfigError(`config file ${configPath}: targets: expected a list`);
  }
  // A target named on the command line or in the environment replaces the file's list: one precedence rule for
  // the whole "what to watch" question. Per-target settings from flags/env apply to every target.
  const hasSelector = ["pid", "match", "cgroup", "command"].some((k) => cliSelector[k] !== undefined);
  const baseTargets: Record<string, unknown>[] = hasSelector ? [cliSelector] : ((fileTargets as Record<string, unknown>[] | undefined) ?? []);
  if (!hasSelector && cliSelector.name !== undefined) {
    throw new ConfigError("--name: expected a target to name (--pid, --match, --cgroup or -- CMD ARGS…)");
  }
  const targets = baseTargets.map((t) => (typeof t === "object" && t !== null ? { ...t, ...envL.target, ...cliL.target } : t));

  const merged = { ...defaults, ...fileGlobal, ...envL.global, ...cliL.global, targets };
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(describeIssue(issue.path, issue.message, hasSelector));
  }
  return withNames(result.data);
}

function describeIssue(p: PropertyKey[], message: string, fromCli: boolean): string {
  const key = p.filter((x) => typeof x === "string").at(-1) as string | undefined;
  const dotted = p
    .map((x) => (typeof x === "number" ? `[${x}]` : `.${String(x)}`))
    .join("")
    .replace(/^\./, "");
  const flag = key ? flagForKey(key) : undefined;
  const where = flag && (fromCli || p[0] !== "targets") ? `--${flag} (${dotted})` : dotted || "config";
  if (message.startsWith("Unrecognized key")) return `${where}: ${message.toLowerCase()}`;
  return `${where}: ${message}`;
}

/** Fills in target names: the label every series of that target carries. */
function withNames(c: Config): Config {
  const used = new Set(c.targets.map((t) => t.name).filter(Boolean));
  for (const t of c.targets) {
    if (t.name) continue;
    let base =
      t.pid !== undefined
        ? `pid-${t.pid}`
        : t.command
          ? (t.command[0]!.split("/").pop() ?? "command")
          : t.cgroup
            ? (t.cgroup.replace(/\/+$/, "").split("/").pop() ?? "cgroup")
            : t.match!.source.replace(/[^A-Za-z0-9_.:-]+/g, "_").replace(/^_+|_+$/g, "") || "match";
    base = base.replace(/[^A-Za-z0-9_.:-]+/g, "_").slice(0, 48) || "target";
    if (base === "." || base === "..") base = "target"; // the name is a folder under --data-dir
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    t.name = name;
  }
  return c;
}

export function helpText(version: string, extra: typeof OPTIONS = []): string {
  return [
    `leakwatch ${version} — watch a process during a soak test and serve its memory as Prometheus metrics`,
    "",
    "Usage:",
    "  leakwatch [serve] [options] --pid N | --match REGEX | --cgroup PATH",
    "  leakwatch [serve] [options] [--memory-limit SIZE] [--restart] -- COMMAND [ARGS…]",
    "  leakwatch [serve] --config leakwatch.yaml",
    "  leakwatch run [--duration 2h] [--report DIR] [options] -- COMMAND [ARGS…]",
    "  leakwatch parse FILE [--format F] [--json]",
    "  leakwatch diff OLDER NEWER [--json]",
    "  leakwatch paths FILE [--type TYPE] [--json]",
    "",
    "Commands:",
    "  serve   (the default) watch the targets and serve their metrics until stopped; the options below",
    "  run     a whole soak test: launch, load, dump, report, and exit with the verdict (leakwatch run --help)",
    "  parse   the per-type table of a heap dump or histogram (leakwatch parse --help)",
    "  diff    types ranked by growth between two dumps (leakwatch diff --help)",
    "  paths   what keeps a type's objects alive: retained sizes and paths from the GC roots (leakwatch paths --help)",
    "",
    optionsHelp(extra),
  ].join("\n");
}

/** The options, by section, and what applies to all of them: the part of --help that `run --help` shares. */
export function optionsHelp(extra: typeof OPTIONS = []): string {
  const specs = [...OPTIONS, ...extra];
  const lines: string[] = [];
  const sections = [...new Set(specs.map((o) => o.section))];
  for (const s of sections) {
    lines.push(`${s}:`);
    for (const o of specs.filter((x) => x.section === s)) {
      const left = `  ${o.short ? `-${o.short}, ` : "    "}--${o.flag}${o.arg ? ` ${o.arg}` : ""}`;
      lines.push(`${left.padEnd(32)} ${o.help}`);
    }
    lines.push("");
  }
  lines.push(
    "Every option but --help and --version can also be set as LEAKWATCH_<OPTION> (e.g. LEAKWATCH_LISTEN=127.0.0.1:9477) or in the",
    "config file as its camelCase key (listen, logLevel, targets: [{name, pid|match|cgroup|command, memoryLimit}]).",
    "Endpoints: /metrics (Prometheus), /healthz, /api/v1/targets[/NAME/dumps|/NAME/dumps/ID|/NAME/diff|/NAME/suspects];",
    "  /api/v1/targets/NAME/load (load status), / (live view);",
    "with --admin-token: POST /api/v1/targets/NAME/dumps takes a dump now; POST …/load/start, …/load/stop,",
    'PATCH …/load and POST …/load {"count": N} drive or report load.',
    "Exit codes: 0 ok; 2 bad usage or configuration; 1 runtime error; with a launched command, its exit code",
    "(128+signal when killed, e.g. 137 after an OOM kill).",
  );
  return lines.join("\n");
}
