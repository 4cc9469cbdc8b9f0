// Public API of the parsers: every parser returns a DumpSummaryBody (src/heap/summary.ts) or throws ParseError.
export { ParseError, type ParseErrorFormat } from "../model/parse-error.js";
export { detectFormat, parseText, type TextHeapFormat } from "./formats.js";
export { parseJavaHistogram, parseJcmdHistogram, parseJmapHistogram } from "./jvm/histogram.js";
export { parseGcdumpReport } from "./dotnet/formats/gcdump-report.js";
export { parseDumpheapStat } from "./dotnet/formats/dumpheap-stat.js";
export { parsePlain } from "../formats/plain.js";
export {
  createV8SnapshotParser,
  parseV8SnapshotFile,
  parseV8SnapshotStream,
  type V8SnapshotParser,
} from "./node/snapshot.js";
export {
  MAX_TYPE_NAME_LENGTH,
  capTypeName,
  normaliseDotnetTypeName,
  normaliseJavaClassName,
  normalisePlainTypeName,
  normaliseV8Name,
  parseGroupedInt,
} from "../formats/normalise.js";
