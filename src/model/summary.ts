// The one shape every heap source and parser produces, and the unit the store keeps.
// Data flows one way: source → parser → DumpSummary → store → analysis → metrics / API / UI.

/**
 * The `heap_type` of the row that sums every type not exported on its own. A real type of that name is exported
 * under another label (typeLabel), so the two never share a series.
 */
export const OTHER_TYPE = "(other)";

/** "(other)" in any number of balanced double quotes. */
const LIKE_OTHER = /^("*)\(other\)("*)$/;

/**
 * The `heap_type` label of a real type: its name, except that a type named "(other)" becomes "\"(other)\"" (and one
 * named "\"(other)\"" gains another pair of quotes, and so on), so that distinct types keep distinct series and none
 * is taken for the OTHER_TYPE row.
 */
export function typeLabel(type: string): string {
  const m = LIKE_OTHER.exec(type);
  return m !== null && m[1]!.length === m[2]!.length ? `"${type}"` : type;
}

/** Statistics for one normalised type in one dump. */
export interface TypeRow {
  /** Normalised type name: stable across dumps and restarts (no addresses, ids, module suffixes, size buckets). */
  type: string;
  /** Number of objects of this type. */
  count: number;
  /** Total bytes of all objects of this type (shallow size), or an estimate when `bytesExact` is false. */
  bytes: number;
}

/**
 * A dump format's name, e.g. "plain": each runtime folder declares its own formats
 * (src/runtimes/<name>/index.ts), the generic "plain" lives in src/formats/. A string here so that the model
 * names no runtime; the registry (src/runtimes/index.ts) lists the valid names.
 */
export type HeapFormat = string;

export interface DumpSummaryBody {
  format: HeapFormat;
  /** Sum of `count` over all rows (after normalisation). */
  totalObjects: number;
  /** Sum of `bytes` over all rows, or the tool's own total when it reports one that is more exact. */
  totalBytes: number;
  /**
   * False when the format cannot give exact bytes per type (e.g. gcdump report's "Object Bytes" column is the size
   * of ONE object of the type, so bytes = count × that size is an estimate). Never present an estimate as exact.
   */
  bytesExact: boolean;
  /** Rows sorted by bytes, descending; one row per normalised type. */
  types: TypeRow[];
  /** Human-readable remarks about the parse (e.g. "bytes per type estimated from one object's size"). */
  notes: string[];
  /**
   * The spelling of the type names, for a format whose names changed after summaries were stored (its FormatDef
   * says which spelling is current and how to rename older rows on read); absent: the format's first spelling.
   */
  typeNames?: string;
  /**
   * What kind of dump a source took when it has more than one (the JVM: "histogram", its regular dump, or "hprof",
   * a heap dump that pauses the target while it writes and gives the heap graph); absent: the source's only kind.
   */
  kind?: string;
}

/** A complete dump summary as stored. */
export interface DumpSummary extends DumpSummaryBody {
  /** Unique, sortable id (time-based). */
  id: string;
  target: string;
  /** Unix epoch milliseconds when the dump was started. */
  time: number;
  /** Which heap source produced it (jvm, v8, dotnet, dotnet-text, command, file). */
  source: string;
  durationSeconds: number;
  /** Load requests counted up to this dump, when load is known (issue: load). */
  requests?: number;
}

/**
 * A stored dump without its rows: what is kept in memory for every stored dump (the rows stay on disk) and what
 * the API lists. `typeCount` is the number of rows.
 */
export interface DumpHeader extends Omit<DumpSummary, "types"> {
  typeCount: number;
}

/** The header of a summary (its rows counted, not copied). */
export function dumpHeader(d: DumpSummary | DumpHeader): DumpHeader {
  if (!("types" in d)) return d;
  const { types, notes, ...rest } = d;
  return { ...rest, typeCount: types.length, notes };
}
