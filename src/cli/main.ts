// The `leakwatch` command: parse, validate, start the daemon, and map every failure to one line and an exit code.
import { ConfigError, helpText, loadConfig, parseCli } from "../config/load.js";
import { createLogger } from "../util/logger.js";
import { Daemon, ListenError } from "../daemon.js";
import { TargetError } from "../targets/manager.js";
import { VERSION } from "../util/version.js";
import { ParseError } from "../model/parse-error.js";
import { UsageError } from "./usage.js";

type Command = (argv: string[]) => Promise<number>;

/** Subcommands besides the daemon itself, loaded when named: the daemon never pays for their modules' memory. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  parse: async () => (await import("./parse.js")).parseCommand,
  diff: async () => (await import("./diff.js")).diffCommand,
  run: async () => (await import("./run.js")).runCommand,
};

async function runCommand(name: string, argv: string[]): Promise<never> {
  try {
    const command = await COMMANDS[name]!();
    process.exit(await command(argv));
  } catch (err) {
    if (err instanceof UsageError) fail(EXIT_USAGE, err.message);
    if (err instanceof ParseError) fail(EXIT_RUNTIME, err.message);
    const code = (err as NodeJS.ErrnoException).code;
    const file = (err as NodeJS.ErrnoException).path;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") fail(EXIT_RUNTIME, `cannot read ${file}: ${code}`);
    throw err;
  }
}

export const EXIT_USAGE = 2;
export const EXIT_RUNTIME = 1;

function fail(code: number, message: string): never {
  process.stderr.write(`leakwatch: ${message}\n`);
  process.exit(code);
}

const NO_TARGET = `no target given. Name the process to watch:
  leakwatch --pid 1234
  leakwatch --match 'java .*OrderService'
  leakwatch --cgroup /sys/fs/cgroup/system.slice/app.service
  leakwatch --memory-limit 300m -- node server.js
  leakwatch --config leakwatch.yaml
Run 'leakwatch --help' for all options.`;

export async function main(argv: string[]): Promise<void> {
  if (argv[0] && COMMANDS[argv[0]]) await runCommand(argv[0], argv.slice(1));
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    fail(EXIT_USAGE, `${(err as Error).message} (see --help)`);
  }
  if (cli.values.help) {
    process.stdout.write(helpText(VERSION) + "\n");
    return;
  }
  if (cli.values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (cli.positionals.length > 0) fail(EXIT_USAGE, `unexpected argument ${JSON.stringify(cli.positionals[0])}; put the command to launch after -- (see --help)`);
  let config;
  try {
    config = loadConfig(cli);
  } catch (err) {
    if (err instanceof ConfigError) fail(EXIT_USAGE, err.message);
    throw err;
  }
  if (config.targets.length === 0) fail(EXIT_USAGE, NO_TARGET);

  const logger = createLogger(config.logLevel);
  let exiting = false;
  const daemon = new Daemon(config, logger, {
    onAllExited: (status) => {
      exiting = true;
      void daemon.stop().finally(() => process.exit(status));
    },
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) {
      // A second Ctrl-C means now.
      process.exit(130);
    }
    exiting = true;
    logger.info({ signal }, "stopping");
    // Launched targets get the signal; leakwatch follows them out (with their exit code) without lingering.
    if (daemon.targets.forward(signal)) return;
    void daemon.stop().finally(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await daemon.start();
  } catch (err) {
    if (err instanceof TargetError) fail(EXIT_USAGE, err.message);
    if (err instanceof ListenError) fail(EXIT_RUNTIME, err.message);
    throw err;
  }
}
