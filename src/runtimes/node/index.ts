// Node (V8): recognised by its node executable or libnode.so; dumped as a V8 heap snapshot, by
// --heapsnapshot-signal or through the inspector; .heapsnapshot files streamed through a hand-written parser.
import path from "node:path";
import type { ProcFs } from "../../procfs/process.js";
import type { AutoChoice, RuntimeDescriptor, SourceSettings } from "../../runtime-kit/runtime.js";
import { readNodeFlags } from "./flags.js";
import { NODE_SIGNATURE } from "./signature.js";
import { v8SignalLaunchEnv } from "./signal-source.js";
import { createV8SnapshotParser, readV8SnapshotGraph } from "./snapshot.js";
import { V8Source, chooseV8Method, chooseV8MethodForCommand, type V8Method } from "./source.js";

declare module "../../runtime-kit/runtime.js" {
  interface SourceSettings {
    /** Allow SIGUSR1 to open the inspector of a Node target started without --inspect (default false). */
    openInspector?: boolean;
    /** The inspector port when known (overrides the command line). */
    inspectorPort?: number;
  }
}

const V8_START = /^\uFEFF?\s*\{\s*"snapshot"\s*:\s*\{\s*"meta"/;

const create = (s: SourceSettings) => new V8Source({ openInspector: s.openInspector, inspectorPort: s.inspectorPort, proc: s.proc, limits: s.limits });

function choice(c: { method: V8Method | undefined; reason: string }, s: SourceSettings): AutoChoice {
  if (c.method === undefined) return { name: "none", source: undefined, reason: c.reason };
  return { name: "v8", method: c.method, source: create(s), reason: `Node: ${c.reason}` };
}

export const node: RuntimeDescriptor = {
  name: "node",
  title: "Node",
  signature: NODE_SIGNATURE,
  sources: [{ name: "v8", summary: "a V8 heap snapshot, by --heapsnapshot-signal or through the inspector", create }],
  formats: [
    {
      name: "v8-heapsnapshot",
      detect: (head) => V8_START.test(head),
      parse: (text, limits) => {
        const p = createV8SnapshotParser(limits);
        p.write(text);
        return p.end();
      },
      stream: (limits) => createV8SnapshotParser(limits),
      suffixes: [".heapsnapshot", ".heapsnapshot.gz"],
      readGraph: readV8SnapshotGraph,
    },
  ],
  chooseForCommand: (command, s) => choice(chooseV8MethodForCommand(command, s.nodeOptions, s), s),
  // The target's flags as it runs: /proc/PID/cmdline and the NODE_OPTIONS in /proc/PID/environ.
  chooseForPid: async (proc: ProcFs, pid, command, s) => choice(chooseV8Method(await readNodeFlags(proc, pid, command), s), s),
  // A launched Node target gets --heapsnapshot-signal and a private --diagnostic-dir: the cheapest way to dump it.
  launchEnv: (argv, rawDir) => (/^node(js)?[\d.]*$/.test(path.basename(argv[0] ?? "")) ? v8SignalLaunchEnv(rawDir) : undefined),
};
