// Every setting is declared once here: its flag, its LEAKWATCH_* variable, where it lives in the YAML file, and
// its help line. The parser, the environment reader and --help are all generated from this table, so they
// cannot disagree. The heap sources come from the runtime registry (src/runtimes/index.ts).
import { HEAP_SOURCE_NAMES } from "../sources/index.js";

export type OptionKind = "string" | "boolean";
export type OptionScope = "global" | "target" | "selector";

export interface OptionSpec {
  /** Long flag without dashes; also the env name (LEAKWATCH_ + upper snake) and, camelCased, the YAML key. */
  flag: string;
  short?: string;
  kind: OptionKind;
  /** global: top level of the config; target: a per-target setting; selector: says which process to watch. */
  scope: OptionScope;
  /** Placeholder shown in --help. */
  arg?: string;
  help: string;
  section: string;
}

export const OPTIONS: OptionSpec[] = [
  // Which process to watch (one target from flags; several via the config file's `targets:` list).
  { flag: "pid", kind: "string", scope: "selector", arg: "N", section: "Target", help: "watch the process with this pid" },
  {
    flag: "match",
    kind: "string",
    scope: "selector",
    arg: "REGEX",
    section: "Target",
    help: "watch the oldest process whose full command line matches REGEX; followed across restarts",
  },
  {
    flag: "cgroup",
    kind: "string",
    scope: "selector",
    arg: "PATH",
    section: "Target",
    help: "watch a whole cgroup (e.g. a container): /sys/fs/cgroup/… or a path as in /proc/PID/cgroup; process metrics sum its processes",
  },
  {
    flag: "name",
    kind: "string",
    scope: "selector",
    arg: "NAME",
    section: "Target",
    help: "the target label (default: derived from the pid, regex, cgroup or command)",
  },
  {
    flag: "memory-limit",
    kind: "string",
    scope: "target",
    arg: "SIZE",
    section: "Target",
    help: "with a launched command: run it in a new memory cgroup with this limit (e.g. 300m, 1g; no swap), removed afterwards",
  },
  {
    flag: "restart",
    kind: "boolean",
    scope: "target",
    section: "Target",
    help: "with a launched command: relaunch it when it exits instead of lingering and exiting",
  },
  {
    flag: "linger",
    kind: "string",
    scope: "global",
    arg: "DURATION",
    section: "Target",
    help: "after a launched command exits, keep serving its final metrics this long, then exit with its code (default 30s)",
  },
  // Heap statistics.
  {
    flag: "heap-source",
    kind: "string",
    scope: "target",
    arg: "SOURCE",
    section: "Heap dumps",
    help: `auto (default: recognise the runtime), ${HEAP_SOURCE_NAMES.join(", ")}, or none`,
  },
  {
    flag: "dump-schedule",
    kind: "string",
    scope: "target",
    arg: "CRON",
    section: "Heap dumps",
    help: 'when to dump, as a cron expression (default "*/5 * * * *": every 5 minutes)',
  },
  {
    flag: "dump-every",
    kind: "string",
    scope: "target",
    arg: "DURATION",
    section: "Heap dumps",
    help: "dump at this interval instead of the cron schedule (e.g. 30s)",
  },
  { flag: "dump-timeout", kind: "string", scope: "target", arg: "DURATION", section: "Heap dumps", help: "kill a dump tool that takes longer (default 2m)" },
  {
    flag: "dump-at",
    kind: "string",
    scope: "target",
    arg: "FRACTION",
    section: "Heap dumps",
    help: "also dump when the cgroup working set reaches this fraction of the limit (e.g. 0.8)",
  },
  {
    flag: "heap-command",
    kind: "string",
    scope: "target",
    arg: '"CMD ARGS"',
    section: "Heap dumps",
    help: "with --heap-source command: a command printing a supported histogram (words split on spaces, no shell; {pid} is replaced)",
  },
  {
    flag: "heap-dir",
    kind: "string",
    scope: "target",
    arg: "DIR",
    section: "Heap dumps",
    help: "with --heap-source file: a directory where other tools write histograms",
  },
  {
    flag: "open-inspector",
    kind: "boolean",
    scope: "target",
    section: "Heap dumps",
    help: "for a Node target started with neither an inspector nor a heap-snapshot signal flag: open its inspector with SIGUSR1 for each dump (closed after it)",
  },
  {
    flag: "retention-interval",
    kind: "string",
    scope: "target",
    arg: "DURATION",
    section: "Heap dumps",
    help: "JVM: when the retention analysis asks for the heap graph, take an HPROF heap dump (it pauses the JVM while it writes) at most this often, the class histogram otherwise (default 10m)",
  },
  {
    flag: "keep-dumps",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "keep the last N raw dump files (mode 0600, private directory); default 0: delete after parsing",
  },
  {
    flag: "max-types",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "at most N heap_type series per target, chosen stickily; the rest sum into (other) (default 100)",
  },
  {
    flag: "max-dump-bytes",
    kind: "string",
    scope: "target",
    arg: "SIZE",
    section: "Heap dumps",
    help: "largest heap histogram read from a dump tool, --heap-command or --heap-dir file; more fails the dump and the tool is killed (default 256m; V8 snapshots are streamed and exempt)",
  },
  {
    flag: "max-dump-types",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "most distinct types read from one dump; more fails the dump (default 1000000)",
  },
  {
    flag: "retention-analysis",
    kind: "string",
    scope: "target",
    arg: "WHEN",
    section: "Heap dumps",
    help: "when to find what keeps the growing types alive (retained bytes, leaks grouped by owner, paths from a GC root) from the dump's own heap graph: suspects (while any type grows; default), always, never",
  },
  {
    flag: "verdict-window",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "dumps the leak verdict looks back over (default 12; at least 6 are needed for a suspect)",
  },
  {
    flag: "min-growth",
    kind: "string",
    scope: "target",
    arg: "SIZE",
    section: "Heap dumps",
    help: "a suspect must grow by at least this much over the window (default 1m) and by 10%",
  },
  {
    flag: "dotnet-diagnostic-port",
    kind: "string",
    scope: "global",
    arg: "SOCKET",
    section: "Heap dumps",
    help: ".NET reverse mode: listen on this Unix socket; start targets with DOTNET_DiagnosticPorts=SOCKET (sidecars)",
  },
  {
    flag: "min-growth-objects",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "also a suspect when the object count rises significantly by at least N over the window (default 10000; bytes alone miss leaks of small objects holding native memory)",
  },
  {
    flag: "warmup",
    kind: "string",
    scope: "global",
    arg: "DURATION",
    section: "Heap dumps",
    help: "no leak verdict in the first DURATION of each target's dumps (they are still taken and shown); afterwards a type is a suspect only once it rises above its warm-up peak (default 0; leakwatch run: a fifth of --duration, at most 10m)",
  },
  {
    flag: "data-dir",
    kind: "string",
    scope: "global",
    arg: "DIR",
    section: "Heap dumps",
    help: "where dump summaries persist across restarts (default ~/.local/state/leakwatch)",
  },
  { flag: "retention", kind: "string", scope: "global", arg: "N", section: "Heap dumps", help: "dump summaries kept per target (default 1000)" },
  {
    flag: "dump-every-requests",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Heap dumps",
    help: "also dump each time N more load requests have been counted (needs load: --load-url, --load-command, --load-from-metric or POST …/load)",
  },
  // Load: leakwatch's own hammer, or load counted elsewhere.
  {
    flag: "load-url",
    kind: "string",
    scope: "target",
    arg: "URL",
    section: "Load",
    help: "hammer the target with requests to this URL (keep-alive connections), starting with leakwatch",
  },
  { flag: "load-method", kind: "string", scope: "target", arg: "METHOD", section: "Load", help: "HTTP method of the load requests (default GET)" },
  {
    flag: "load-header",
    kind: "string",
    scope: "target",
    arg: '"NAME: VALUE"',
    section: "Load",
    help: "a header of the load requests, or a JSON object of headers; in the config file also a list or a mapping",
  },
  { flag: "load-body", kind: "string", scope: "target", arg: "TEXT", section: "Load", help: "body of the load requests" },
  {
    flag: "load-command",
    kind: "string",
    scope: "target",
    arg: '"CMD ARGS"',
    section: "Load",
    help: "instead of a URL, run this command as each load job (exit 0 = ok; words split on spaces, no shell)",
  },
  { flag: "load-concurrency", kind: "string", scope: "target", arg: "N", section: "Load", help: "parallel load workers (default 4)" },
  {
    flag: "load-jobs",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Load",
    help: "jobs per round, or unbounded for one endless round (default unbounded)",
  },
  { flag: "load-wait", kind: "string", scope: "target", arg: "DURATION", section: "Load", help: "pause between rounds of --load-jobs jobs (default 0s)" },
  {
    flag: "load-rate",
    kind: "string",
    scope: "target",
    arg: "N",
    section: "Load",
    help: "at most N load requests per second (a token bucket); uncapped unless set",
  },
  {
    flag: "load-timeout",
    kind: "string",
    scope: "target",
    arg: "DURATION",
    section: "Load",
    help: "abort a load request after this long and count it as a timeout (default 10s)",
  },
  {
    flag: "load-from-metric",
    kind: "string",
    scope: "target",
    arg: "URL#METRIC{LABELS}",
    section: "Load",
    help: "count the target's load from its own Prometheus counter, read before each dump (matching series summed)",
  },
  {
    flag: "admin-token",
    kind: "string",
    scope: "global",
    arg: "TOKEN",
    section: "Daemon",
    help: "enable the admin API (POST …/dumps); requests need 'Authorization: Bearer TOKEN'",
  },
  // Daemon.
  {
    flag: "config",
    short: "c",
    kind: "string",
    scope: "global",
    arg: "FILE",
    section: "Daemon",
    help: "YAML configuration file (flags > LEAKWATCH_* environment > file > defaults)",
  },
  { flag: "listen", kind: "string", scope: "global", arg: "HOST:PORT", section: "Daemon", help: "address for /metrics and the API (default 0.0.0.0:9477)" },
  {
    flag: "log-level",
    kind: "string",
    scope: "global",
    arg: "LEVEL",
    section: "Daemon",
    help: "trace, debug, info, warn, error, fatal or silent (default info); logs are JSON lines on stderr",
  },
  {
    flag: "discovery-interval",
    kind: "string",
    scope: "global",
    arg: "DURATION",
    section: "Daemon",
    help: "how often --match and --cgroup targets are re-resolved (default 2s)",
  },
  {
    flag: "pss-max-rss",
    kind: "string",
    scope: "global",
    arg: "SIZE",
    section: "Daemon",
    help: "read PSS (smaps_rollup, which stalls big processes while read) only below this RSS; 0 disables (default 1g)",
  },
  { flag: "help", short: "h", kind: "boolean", scope: "global", section: "Daemon", help: "show this help and exit" },
  { flag: "version", short: "V", kind: "boolean", scope: "global", section: "Daemon", help: "print the version and exit" },
];

export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function envName(flag: string): string {
  return "LEAKWATCH_" + flag.toUpperCase().replaceAll("-", "_");
}

export function flagForKey(key: string): string | undefined {
  return OPTIONS.find((o) => camel(o.flag) === key)?.flag;
}

/**
 * The default an option's help states — "(default X)", "; default X" or "X (default: …)" — if any. --help and
 * docs/configuration.md say the same thing, and test/unit/config/help.test.ts checks each one is the real default.
 */
export function documentedDefault(o: OptionSpec): string | undefined {
  if (o.kind === "boolean") return undefined;
  const m = /(?:\(|; )default ("[^"]*"|[^;)\s]+)/.exec(o.help) ?? /^(\S+) \(default: /.exec(o.help);
  return m ? m[1]!.replace(/:$/, "").replace(/^"(.*)"$/, "$1") : undefined;
}
