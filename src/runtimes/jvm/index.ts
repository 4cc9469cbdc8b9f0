// The JVM: recognised by its java executable or libjvm.so; dumped with `jcmd <pid> GC.class_histogram` (a
// class histogram after a full GC, a few hundred ms even on large heaps); jcmd and jmap histograms parsed.
import type { RuntimeDescriptor } from "../../runtime-kit/runtime.js";
import { parseJcmdHistogram, parseJmapHistogram, streamJavaHistogram } from "./histogram.js";
import { JVM_SIGNATURE } from "./signature.js";
import { JvmSource } from "./source.js";
import { readHprofGraph } from "./hprof.js";
import { ParseError } from "../../model/parse-error.js";

declare module "../../runtime-kit/runtime.js" {
  interface SourceSettings {
    /** jcmd path or name (default "jcmd", then $JAVA_HOME/bin/jcmd). */
    jcmd?: string;
    /** Seconds between two HPROF heap dumps of a JVM when the retention analysis asks for its graph (default 600). */
    retentionInterval?: number;
  }
}

// [ \t] not \s with the m flag: \s spans newlines and backtracks quadratically over blank text.
const JAVA_HEADER = /^[ \t]*num[ \t]+#instances[ \t]+#bytes[ \t]+class name/m;
const JCMD_PID_LINE = /^\s*\d+:\s*$/;

/** jcmd prints "<pid>:" on a line before the table; jmap does not. */
function hasPidLine(head: string): boolean | undefined {
  const m = JAVA_HEADER.exec(head);
  if (m === null) return undefined;
  return head
    .slice(0, m.index)
    .split("\n")
    .some((l) => l.trim() !== "" && JCMD_PID_LINE.test(l));
}

export const jvm: RuntimeDescriptor = {
  name: "jvm",
  title: "JVM",
  signature: JVM_SIGNATURE,
  sources: [
    {
      name: "jvm",
      summary: "jcmd GC.class_histogram (JDK 9+; a full GC in the target)",
      create: (s) => new JvmSource({ jcmd: s.jcmd, env: s.env, proc: s.proc, limits: s.limits, retentionInterval: s.retentionInterval }),
    },
  ],
  formats: [
    {
      name: "jcmd-histogram",
      detect: (head) => hasPidLine(head) === true,
      parse: parseJcmdHistogram,
      stream: (limits) => streamJavaHistogram("jcmd-histogram", limits),
    },
    {
      name: "jmap-histogram",
      detect: (head) => hasPidLine(head) === false,
      parse: parseJmapHistogram,
      stream: (limits) => streamJavaHistogram("jmap-histogram", limits),
    },
    {
      name: "hprof",
      binary: true,
      detect: () => false,
      parse: () => {
        throw new ParseError("hprof", 1, "a binary HPROF heap dump is not a text format; read it with leakwatch paths");
      },
      suffixes: [".hprof"],
      readGraph: readHprofGraph,
    },
  ],
  chooseForCommand: (_command, s) => ({
    name: "jvm",
    source: new JvmSource({ jcmd: s.jcmd, env: s.env, proc: s.proc, limits: s.limits, retentionInterval: s.retentionInterval }),
    reason: "JVM: jcmd GC.class_histogram",
  }),
};
