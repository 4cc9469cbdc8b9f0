// Every setting is declared once here: its flag, its LEAKWATCH_* variable, where it lives in the YAML file, and
// its help line. The parser, the environment reader and --help are all generated from this table, so they
// cannot disagree.

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
  { flag: "match", kind: "string", scope: "selector", arg: "REGEX", section: "Target", help: "watch the oldest process whose full command line matches REGEX; followed across restarts" },
  { flag: "cgroup", kind: "string", scope: "selector", arg: "PATH", section: "Target", help: "watch a whole cgroup (e.g. a container): /sys/fs/cgroup/… or a path as in /proc/PID/cgroup; process metrics sum its processes" },
  { flag: "name", kind: "string", scope: "selector", arg: "NAME", section: "Target", help: "the target label (default: derived from the pid, regex, cgroup or command)" },
  { flag: "memory-limit", kind: "string", scope: "target", arg: "SIZE", section: "Target", help: "with a launched command: run it in a new memory cgroup with this limit (e.g. 300m, 1g; no swap), removed afterwards" },
  { flag: "restart", kind: "boolean", scope: "target", section: "Target", help: "with a launched command: relaunch it when it exits instead of lingering and exiting" },
  { flag: "linger", kind: "string", scope: "global", arg: "DURATION", section: "Target", help: "after a launched command exits, keep serving its final metrics this long, then exit with its code (default 30s)" },
  // Daemon.
  { flag: "config", short: "c", kind: "string", scope: "global", arg: "FILE", section: "Daemon", help: "YAML configuration file (flags > LEAKWATCH_* environment > file > defaults)" },
  { flag: "listen", kind: "string", scope: "global", arg: "HOST:PORT", section: "Daemon", help: "address for /metrics and the API (default 0.0.0.0:9477)" },
  { flag: "log-level", kind: "string", scope: "global", arg: "LEVEL", section: "Daemon", help: "trace, debug, info, warn, error, fatal or silent (default info); logs are JSON lines on stderr" },
  { flag: "discovery-interval", kind: "string", scope: "global", arg: "DURATION", section: "Daemon", help: "how often --match and --cgroup targets are re-resolved (default 2s)" },
  { flag: "pss-max-rss", kind: "string", scope: "global", arg: "SIZE", section: "Daemon", help: "read PSS (smaps_rollup, which stalls big processes while read) only below this RSS; 0 disables (default 1g)" },
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
