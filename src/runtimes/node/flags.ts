// Reading a Node target's own diagnostic flags (--heapsnapshot-signal, --diagnostic-dir, --inspect…) from its
// argv and from the NODE_OPTIONS it was started with. Only options Node itself parses count: a flag after the
// script name is an argument of the script, and acting on it (sending a signal the process never asked for)
// could kill the process. When in doubt the parse stops early, so a flag is missed rather than invented.
import { constants as osConstants } from "node:os";
import type { ProcFs } from "../../procfs/process.js";

export interface NodeInspectFlag {
  /** Host from --inspect=host:port (undefined: Node's default, 127.0.0.1). */
  host: string | undefined;
  /** Port from --inspect=[host:]port or --inspect-port (undefined: Node's default 9229; 0: a random port). */
  port: number | undefined;
}

export interface NodeDiagnosticFlags {
  /** Signal name from --heapsnapshot-signal (validated: a known signal). */
  heapsnapshotSignal: string | undefined;
  /** --diagnostic-dir as given (may be relative to the target's working directory). */
  diagnosticDir: string | undefined;
  /** The inspector opened at startup (--inspect, --inspect-brk, --inspect-wait), or undefined. */
  inspect: NodeInspectFlag | undefined;
  /** --inspect-port / --debug-port: where an inspector opened later (SIGUSR1) listens. */
  inspectPort: NodeInspectFlag | undefined;
}

/** Node options whose value may be the next argument (`--require mod`); their value is never the script. */
const VALUE_OPTIONS = new Set([
  "-r",
  "--require",
  "--import",
  "--loader",
  "--experimental-loader",
  "-e",
  "--eval",
  "-p",
  "--print",
  "--inspect-port",
  "--debug-port",
  "--diagnostic-dir",
  "--heapsnapshot-signal",
  "--heapsnapshot-near-heap-limit",
  "--report-signal",
  "--report-dir",
  "--report-directory",
  "--report-filename",
  "--cpu-prof-dir",
  "--cpu-prof-name",
  "--heap-prof-dir",
  "--heap-prof-name",
  "--title",
  "--env-file",
  "--input-type",
  "-C",
  "--conditions",
  "--redirect-warnings",
  "--disable-warning",
  "--icu-data-dir",
  "--openssl-config",
  "--tls-cipher-list",
  "--secure-heap",
  "--secure-heap-min",
  "--unhandled-rejections",
  "--dns-result-order",
  "--max-old-space-size",
  "--max-semi-space-size",
  "--stack-size",
  "--stack-trace-limit",
  "--watch-path",
  "--test-reporter",
  "--test-reporter-destination",
  "--test-name-pattern",
  "--experimental-policy",
  "--policy-integrity",
  "--trace-event-categories",
  "--trace-event-file-pattern",
  "--use-largepages",
]);
// --inspect, --inspect-brk and --inspect-wait take a value only as `--inspect=…`: a following argument is not theirs.

function canonical(name: string): string {
  // Node treats `_` and `-` in option names alike (--heapsnapshot_signal).
  return name.startsWith("--") ? `--${name.slice(2).replace(/_/g, "-")}` : name;
}

/**
 * The options part of a node argv (argv[0] excluded): everything before the script name, `--` or `-`, as
 * [name, value] pairs (value undefined for flags without one).
 */
export function nodeArgvOptions(argv: readonly string[]): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  for (let i = 1; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "--" || tok === "-" || !tok.startsWith("-")) break;
    const eq = tok.indexOf("=");
    if (eq > 0) {
      out.push([canonical(tok.slice(0, eq)), tok.slice(eq + 1)]);
      continue;
    }
    const name = canonical(tok);
    if (VALUE_OPTIONS.has(name)) {
      const value = argv[i + 1];
      if (value === undefined) break; // malformed: Node would refuse to start
      out.push([name, value]);
      i++;
      continue;
    }
    out.push([name, undefined]);
  }
  return out;
}

/**
 * Splits NODE_OPTIONS the way Node does: on whitespace, with double quotes grouping and backslash escaping
 * inside quotes.
 */
export function splitNodeOptions(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === "\\" && i + 1 < text.length) {
        cur += text[++i];
      } else if (c === '"') {
        quoted = false;
      } else cur += c;
      continue;
    }
    if (c === '"') {
      quoted = true;
      inToken = true;
    } else if (/\s/.test(c)) {
      if (inToken) out.push(cur);
      cur = "";
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

/** Quotes one NODE_OPTIONS word when needed (spaces, quotes, backslashes). */
export function quoteNodeOption(word: string): string {
  if (word !== "" && !/[\s"\\]/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Splits a command line string on whitespace, honouring simple single and double quotes. */
export function splitCommandLine(command: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let cur: string | undefined;
  let lastEnd = -1;
  for (let m = re.exec(command); m !== null; m = re.exec(command)) {
    const piece = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3] ?? "");
    if (cur !== undefined && m.index === lastEnd) cur += piece;
    else {
      if (cur !== undefined) out.push(cur);
      cur = piece;
    }
    lastEnd = m.index + m[0].length;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `[host:]port` or `host` as accepted by --inspect=… and --inspect-port=…. */
export function parseHostPort(value: string | undefined): NodeInspectFlag {
  if (value === undefined || value === "") return { host: undefined, port: undefined };
  const port = parsePort(value);
  if (port !== undefined) return { host: undefined, port };
  const m = /^(\[[^\]]*\]|[^:]*|.*?):(\d{1,5})$/.exec(value);
  if (m !== null) {
    const host = m[1]!.replace(/^\[(.*)\]$/, "$1");
    return { host: host === "" ? undefined : host, port: parsePort(m[2]!) };
  }
  return { host: value.replace(/^\[(.*)\]$/, "$1"), port: undefined };
}

function isSignalName(name: string): boolean {
  return Object.hasOwn(osConstants.signals, name);
}

/** Interprets node options (NODE_OPTIONS first, then argv options: argv wins, as in Node). */
export function interpretNodeOptions(options: ReadonlyArray<[string, string | undefined]>): NodeDiagnosticFlags {
  const flags: NodeDiagnosticFlags = { heapsnapshotSignal: undefined, diagnosticDir: undefined, inspect: undefined, inspectPort: undefined };
  for (const [name, value] of options) {
    switch (name) {
      case "--heapsnapshot-signal":
        flags.heapsnapshotSignal = value !== undefined && isSignalName(value) ? value : undefined;
        break;
      case "--diagnostic-dir":
        flags.diagnosticDir = value === "" ? undefined : value;
        break;
      case "--inspect":
      case "--inspect-brk":
      case "--inspect-wait":
        flags.inspect = parseHostPort(value);
        break;
      case "--inspect-port":
      case "--debug-port":
        flags.inspectPort = parseHostPort(value);
        break;
    }
  }
  if (flags.inspect !== undefined && flags.inspect.port === undefined && flags.inspectPort?.port !== undefined) {
    flags.inspect = { host: flags.inspect.host ?? flags.inspectPort.host, port: flags.inspectPort.port };
  }
  return flags;
}

/** The diagnostic flags of a node command given as argv plus the NODE_OPTIONS it runs with. */
export function nodeFlagsFromArgv(argv: readonly string[], nodeOptions: string | undefined): NodeDiagnosticFlags {
  const fromEnv = nodeOptions ? nodeArgvOptions(["node", ...splitNodeOptions(nodeOptions)]) : [];
  return interpretNodeOptions([...fromEnv, ...nodeArgvOptions(argv)]);
}

/**
 * The diagnostic flags of a running node process: argv from /proc/PID/cmdline (or, when unreadable, the
 * command string split on whitespace) and NODE_OPTIONS from /proc/PID/environ (the environment it started with).
 */
export async function readNodeFlags(proc: ProcFs, pid: number, command: string): Promise<NodeDiagnosticFlags> {
  const argv = (await proc.argv(pid)) ?? splitCommandLine(command);
  const nodeOptions = await proc.environVar(pid, "NODE_OPTIONS");
  return nodeFlagsFromArgv(argv, nodeOptions);
}
