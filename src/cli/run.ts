// `leakwatch run`: a whole soak from one command. Launches the target (optionally under a memory limit), drives
// load, dumps on schedule, and at the end (duration, target exit or OOM kill, Ctrl-C) writes a report and exits
// with a verdict: 0 no leak suspected, 3 leak suspected, 4 target crashed or OOM-killed.
import path from "node:path";
import { optionsHelp, parseCli } from "../config/load.js";
import type { OptionSpec } from "../config/options.js";
import { durationTooLong, formatBytes, parseDuration } from "../util/units.js";
import { buildReport } from "../report/model.js";
import { prepareReportDir, writeReport } from "../report/write.js";
import { boot, type Session } from "./boot.js";
import { UsageError } from "./usage.js";

export const RUN_OPTIONS: OptionSpec[] = [
  {
    flag: "duration",
    kind: "string",
    scope: "global",
    arg: "DURATION",
    section: "Soak run",
    help: "end the run after this long (e.g. 2h); default: when the target exits or on Ctrl-C",
  },
  {
    flag: "dumps",
    kind: "string",
    scope: "global",
    arg: "N",
    section: "Soak run",
    help: "end the run once every target with a heap source has N stored dumps (with or without --duration: whichever comes first)",
  },
  {
    flag: "report",
    kind: "string",
    scope: "global",
    arg: "DIR",
    section: "Soak run",
    help: "write report.json, report.md and report.html here (default ./leakwatch-report)",
  },
];

/** A run's own defaults for daemon settings (flags, LEAKWATCH_* and the config file override them). */
export const RUN_DEFAULTS: Readonly<Record<string, unknown>> = { listen: "127.0.0.1:9477", linger: "0", logLevel: "warn" };

/** `leakwatch run`'s default --warmup: a fifth of --duration, at most 10 minutes (none without --duration). */
export function runWarmup(durationSeconds: number): number {
  return Math.min(600, Math.floor(durationSeconds / 5));
}

const RUN_USAGE = `Usage: leakwatch run [--duration 2h] [--dumps N] [--report DIR] [--memory-limit SIZE] [load and dump options] -- COMMAND [ARGS…]

Runs a whole soak test: launches COMMAND, watches it, drives load, dumps its heap on schedule, and at the end
writes a report and exits with the verdict:
  0  no leak suspected      3  leak suspected      4  target crashed or OOM-killed
  1  leakwatch's own error  2  bad usage or configuration
The daemon's options all apply (see below); in a run --listen defaults to 127.0.0.1:9477, --linger to 0 and
--log-level to warn, and --warmup to a fifth of --duration (at most 10m): no leak verdict is given while the
target warms up.`;

export async function runCommand(argv: string[]): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv, RUN_OPTIONS);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see leakwatch run --help)`);
  }
  if (cli.values.help) {
    process.stdout.write(RUN_USAGE + "\n\n" + optionsHelp(RUN_OPTIONS) + "\n");
    return 0;
  }
  const durationArg = cli.values.duration as string | undefined;
  const dumpsArg = cli.values.dumps as string | undefined;
  const reportDir = path.resolve((cli.values.report as string | undefined) ?? "leakwatch-report");
  delete cli.values.duration;
  delete cli.values.dumps;
  delete cli.values.report;
  const dumpsWanted = dumpsArg === undefined ? undefined : Number(dumpsArg);
  if (dumpsWanted !== undefined && !(Number.isSafeInteger(dumpsWanted) && dumpsWanted >= 1)) {
    throw new UsageError(`--dumps: expected a whole number ≥ 1, got ${JSON.stringify(dumpsArg)}`);
  }
  const durationSeconds = durationArg === undefined ? undefined : parseDuration(durationArg);
  if (durationArg !== undefined && (durationSeconds === undefined || durationSeconds <= 0)) {
    throw new UsageError(`--duration: expected a duration like 30m or 2h, got ${JSON.stringify(durationArg)}`);
  }
  const tooLong = durationSeconds === undefined ? undefined : durationTooLong(durationSeconds);
  if (tooLong !== undefined) throw new UsageError(`--duration: expected a duration of ${tooLong}, got ${JSON.stringify(durationArg)}`);
  if (cli.command.length === 0) throw new UsageError("run needs the command to launch after -- (see leakwatch run --help)");
  const reportProblem = await prepareReportDir(reportDir);
  if (reportProblem !== undefined) throw new UsageError(`--report ${reportDir}: cannot write the report there: ${reportProblem}`);

  const startedAt = Date.now();
  const tty = process.stderr.isTTY;
  let ticker: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dumpsPoll: NodeJS.Timeout | undefined;
  // Declared before boot: a signal during start, or the target's exit, may end the run before boot returns.
  const finish = (session: Session, reason: string): Promise<number> =>
    session.end(async () => {
      clearInterval(ticker);
      clearInterval(dumpsPoll);
      clearTimeout(timer);
      if (tty) process.stderr.write("\n");
      return conclude(session, reason);
    });
  /** The verdict: a last look, the report written, one line on stderr; returns the exit code. */
  const conclude = async ({ daemon }: Session, reason: string): Promise<number> => {
    if (reason === "duration") {
      // One last look before stopping, so the verdict includes the end of the run.
      await Promise.all(daemon.targets.targets.map((t) => daemon.heaps.dumpNow(t.name, "final")));
    }
    // The verdicts of a dump are published once its analysis (in slices) is done: the report waits for the last.
    await daemon.heaps.settled();
    // Memory over the run comes from the daemon's memory sampler (the UI's too): one last sample for the report.
    await daemon.sampler.sample();
    const report = await buildReport(daemon, { startedAt, endedAt: Date.now(), endReason: reason });
    await daemon.stop();
    const files = await writeReport(reportDir, report);
    // Leak roots first (the owners to fix); the suspects no leak explains after them.
    const suspects = report.targets.flatMap((t) => {
      const explained = new Set(t.leaks.flatMap((l) => [l.root, ...l.members.map((m) => m.type)]));
      return [...t.leaks.map((l) => `${t.name}: leak ${l.root}`), ...t.suspects.filter((s) => !explained.has(s.type)).map((s) => `${t.name}: ${s.type}`)];
    });
    process.stderr.write(
      `leakwatch run: ${report.verdict.replaceAll("_", " ")}${suspects.length ? ` (${suspects.join("; ")})` : ""}; report in ${path.dirname(files[0]!)}\n`,
    );
    return report.exitCode;
  };

  const session = await boot(cli, {
    // A soak on a laptop is not a service: it listens on loopback unless told otherwise (the daemon keeps
    // node_exporter's all-interfaces default).
    defaults: { ...RUN_DEFAULTS, ...(durationSeconds === undefined ? {} : { warmup: `${runWarmup(durationSeconds)}s` }) },
    // Each run is its own soak: its history starts empty (a daemon restart, by contrast, keeps the history).
    prepare: (config) => {
      config.dataDir = path.join(config.dataDir, "runs", new Date(startedAt).toISOString().replace(/[:.]/g, "-"));
    },
    // The report charts memory over the whole run from the sampler's series: keep all of it (thinned beyond 10 min), or
    // a day when the run ends only with its target.
    historyKeepMs: Math.max(2 * 3600, (durationSeconds ?? 24 * 3600) + 60) * 1000,
    forwardAs: "SIGTERM",
    onAllExited: (s) => void finish(s, "target_exited"),
    onInterrupt: (s) => void finish(s, "interrupted"),
  });
  if (session.ending) return session.done;
  const { daemon } = session;
  const url = daemon.address ? `http://${daemon.address.address === "0.0.0.0" ? "127.0.0.1" : daemon.address.address}:${daemon.address.port}/` : "";
  process.stderr.write(`leakwatch run: watching ${daemon.targets.targets.map((t) => t.name).join(", ")}; live view ${url}\n`);

  const progress = (): void => {
    if (!tty) return;
    const secs = Math.round((Date.now() - startedAt) / 1000);
    const hms = new Date(secs * 1000).toISOString().slice(11, 19);
    const parts = daemon.targets.targets.map((t) => {
      const last = daemon.sampler.latest(t.name);
      const used = last?.workingSet ?? last?.rss ?? undefined;
      const mem = used === undefined ? "down" : `${formatBytes(used)}${last?.limit ? ` / ${formatBytes(last.limit)}` : ""}`;
      const suspects = daemon.heaps.view(t.name)?.suspects.length ?? 0;
      return `${t.name}: ${mem}, ${daemon.store.list(t.name).length} dumps, ${suspects} suspects`;
    });
    process.stderr.write(`\r\x1b[K[${hms}] ${parts.join(" | ")}`);
  };
  ticker = setInterval(() => progress(), 2000);
  if (durationSeconds !== undefined) timer = setTimeout(() => void finish(session, "duration"), durationSeconds * 1000);
  if (dumpsWanted !== undefined) {
    // A run measured in dumps, not time: the same verdict on a busy machine as on a quiet one.
    dumpsPoll = setInterval(() => {
      const heaps = daemon.heaps.views();
      if (heaps.length > 0 && heaps.every((h) => daemon.store.list(h.target).length >= dumpsWanted)) void finish(session, "dumps");
    }, 250);
  }
  return session.done;
}
