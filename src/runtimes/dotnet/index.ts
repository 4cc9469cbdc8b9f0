// .NET: recognised by the dotnet host or libcoreclr.so; dumped natively over the runtime's diagnostic socket
// (protocol/: IPC, EventPipe sessions, nettrace), or with the SDK tools dotnet-gcdump / dotnet-dump
// (`dotnet-text`), whose reports are parsed here too.
import { ParseError } from "../../model/parse-error.js";
import type { RuntimeDescriptor, SourceSettings } from "../../runtime-kit/runtime.js";
import { createDotnetEventPipeSource } from "./eventpipe-source.js";
import { readNettraceGraph } from "./spool.js";
import { parseDumpheapStat, streamDumpheapStat } from "./formats/dumpheap-stat.js";
import { parseGcdumpReport, streamGcdumpReport } from "./formats/gcdump-report.js";
import type { DiagnosticPortListener } from "./protocol/listener.js";
import { DOTNET_SIGNATURE } from "./signature.js";
import { DotnetTextSource } from "./text-source.js";
import { DOTNET_TYPE_NAMES, sosFromGcdumpName } from "./type-names.js";

declare module "../../runtime-kit/runtime.js" {
  interface SourceSettings {
    /** Runtimes that connect back through DOTNET_DiagnosticPorts (reverse mode) are reached here first. */
    dotnetListener?: DiagnosticPortListener;
    /** dotnet-gcdump / dotnet-dump paths or names (dotnet-text). */
    gcdump?: string;
    dotnetDump?: string;
  }
}

const GCDUMP = /^[ \t]*(?:Object Bytes[ \t]+Count[ \t]+Type|\d[\d,.'’\u00a0\u202f]*[ \t]+GC Heap (?:bytes|objects))[ \t]*$/m;
const DUMPHEAP = /^[ \t]*MT[ \t]+Count[ \t]+TotalSize[ \t]+Class Name[ \t]*$/m;

const native = (s: SourceSettings) => createDotnetEventPipeSource({ proc: s.proc, listener: s.dotnetListener });

export const dotnet: RuntimeDescriptor = {
  name: "dotnet",
  title: ".NET",
  signature: DOTNET_SIGNATURE,
  sources: [
    { name: "dotnet", summary: "the GC heap snapshot over the diagnostic socket (no .NET tools needed)", create: native },
    {
      name: "dotnet-text",
      summary: "dotnet-gcdump report, or dotnet-dump's dumpheap -stat (the .NET SDK tools)",
      create: (s) => new DotnetTextSource({ gcdump: s.gcdump, dotnetDump: s.dotnetDump, env: s.env, proc: s.proc, limits: s.limits }),
    },
  ],
  formats: [
    {
      name: "gcdump-report",
      detect: (head) => GCDUMP.test(head),
      parse: parseGcdumpReport,
      stream: streamGcdumpReport,
      typeNames: DOTNET_TYPE_NAMES,
      upgradeTypeName: sosFromGcdumpName,
    },
    { name: "dumpheap-stat", detect: (head) => DUMPHEAP.test(head), parse: parseDumpheapStat, stream: streamDumpheapStat },
    {
      name: "nettrace",
      binary: true,
      // The spooled heap snapshot stream --keep-dumps keeps: `leakwatch paths` reads its references.
      suffixes: [".nettrace"],
      readGraph: readNettraceGraph,
      typeNames: DOTNET_TYPE_NAMES,
      upgradeTypeName: sosFromGcdumpName,
      detect: () => false,
      parse: () => {
        throw new ParseError("nettrace", 1, "binary .nettrace input is not a text format; use the nettrace source");
      },
    },
  ],
  chooseForCommand: (_command, s) => ({
    name: "dotnet",
    source: native(s),
    reason: ".NET: EventPipe GC heap snapshot over the diagnostic socket (no .NET tools needed)",
  }),
};
