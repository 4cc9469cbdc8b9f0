// The `leakwatch` command: pick the subcommand (serve when none is named), run it, and exit with its code, or with
// the one exit.ts gives its failure.
import { exitWith } from "./exit.js";

type Command = (argv: string[]) => Promise<number>;

/** Each subcommand's module is loaded only when named: the daemon never pays for the others' memory. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.js")).serveCommand,
  run: async () => (await import("./run.js")).runCommand,
  parse: async () => (await import("./parse.js")).parseCommand,
  diff: async () => (await import("./diff.js")).diffCommand,
  paths: async () => (await import("./paths.js")).pathsCommand,
};

export async function main(argv: string[]): Promise<void> {
  // No subcommand means serve: `leakwatch --pid 1` is `leakwatch serve --pid 1`.
  const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]);
  const [name, args] = named ? [argv[0]!, argv.slice(1)] : ["serve", argv];
  let code: number;
  try {
    const command = await COMMANDS[name]!();
    code = await command(args);
  } catch (err) {
    exitWith(err);
  }
  // process.exit drops what a pipe has not taken yet: `leakwatch parse big.txt | less` lost all but the first
  // ~1 MB. Wait until stdout has flushed.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
