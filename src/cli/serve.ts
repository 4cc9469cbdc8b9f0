// `leakwatch serve` (also `leakwatch` with no subcommand): watch the targets and serve their metrics until stopped,
// or until every launched target has exited — then exit with its exit code.
import { ConfigError, helpText, parseCli } from "../config/load.js";
import { VERSION } from "../util/version.js";
import { boot, type Session } from "./boot.js";
import { UsageError } from "./usage.js";

const NO_TARGET = `no target given. Name the process to watch:
  leakwatch --pid 1234
  leakwatch --match 'java .*OrderService'
  leakwatch --cgroup /sys/fs/cgroup/system.slice/app.service
  leakwatch --memory-limit 300m -- node server.js
  leakwatch --config leakwatch.yaml
Run 'leakwatch --help' for all options.`;

export async function serveCommand(argv: string[]): Promise<number> {
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${err.message} (see --help)`);
    throw err;
  }
  if (cli.values.help) {
    process.stdout.write(helpText(VERSION) + "\n");
    return 0;
  }
  if (cli.values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (cli.positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(cli.positionals[0])}; put the command to launch after -- (see --help)`);
  }
  // A failing stop must not change the exit code the session ends with.
  const stopThen = (s: Session, code: number) => () =>
    s.daemon.stop().then(
      () => code,
      () => code,
    );
  const session = await boot(cli, {
    prepare: (config) => {
      if (config.targets.length === 0) throw new UsageError(NO_TARGET);
    },
    // leakwatch follows its launched targets out, with their exit code, once they are gone (after --linger).
    onAllExited: (s, status) => void s.end(stopThen(s, status)),
    onInterrupt: (s, _signal, forwarded) => {
      // Forwarded: the targets' exit ends the session (onAllExited, without lingering). Otherwise stop now.
      if (!forwarded) void s.end(stopThen(s, 0));
    },
  });
  return session.done;
}
