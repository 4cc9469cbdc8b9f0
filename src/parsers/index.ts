// Public API of the parsers: every parser returns a DumpSummaryBody (src/heap/summary.ts) or throws ParseError.
export { ParseError, type ParseErrorFormat } from "./errors.js";
export { detectFormat, parseText, type TextHeapFormat } from "./detect.js";
export { parseJavaHistogram, parseJcmdHistogram, parseJmapHistogram } from "./java-histogram.js";
export { parseGcdumpReport } from "./gcdump-report.js";
export { parseDumpheapStat } from "./dumpheap-stat.js";
export { parsePlain } from "./plain.js";
export {
  createV8SnapshotParser,
  parseV8SnapshotFile,
  parseV8SnapshotStream,
  type V8SnapshotParser,
} from "./v8-snapshot.js";
export {
  MAX_TYPE_NAME_LENGTH,
  capTypeName,
  normaliseDotnetTypeName,
  normaliseJavaClassName,
  normalisePlainTypeName,
  normaliseV8Name,
  parseGroupedInt,
} from "./normalise.js";
