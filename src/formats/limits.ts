// The caps on what leakwatch reads from a dump tool or a dump file. A tool printing endless output (or a file that
// never ends, /dev/zero) must fail the dump, not grow leakwatch's memory until the machine gives out: output is
// parsed as it streams, so memory grows with the number of distinct types, and these bound that and the rest.

export interface DumpLimits {
  /** Most bytes of text read from one tool or file (--max-dump-bytes); V8 snapshots, streamed, are exempt. */
  maxBytes: number;
  /** Most distinct types in one dump (--max-dump-types). */
  maxTypes: number;
  /** Longest line of a text format, in characters: a histogram row is far shorter (type names are capped at 200). */
  maxLineLength: number;
}

export const DEFAULT_MAX_DUMP_BYTES = 256 * 1024 * 1024;
/** Ten times the classes of the largest real heaps seen (JVMs with ~100 k classes); a million rows still parse. */
export const DEFAULT_MAX_DUMP_TYPES = 1_000_000;
export const MAX_LINE_LENGTH = 1024 * 1024;

export const DEFAULT_DUMP_LIMITS: DumpLimits = {
  maxBytes: DEFAULT_MAX_DUMP_BYTES,
  maxTypes: DEFAULT_MAX_DUMP_TYPES,
  maxLineLength: MAX_LINE_LENGTH,
};

/** The default limits with some replaced. */
export function dumpLimits(over: Partial<DumpLimits> = {}): DumpLimits {
  return {
    maxBytes: over.maxBytes ?? DEFAULT_MAX_DUMP_BYTES,
    maxTypes: over.maxTypes ?? DEFAULT_MAX_DUMP_TYPES,
    maxLineLength: over.maxLineLength ?? MAX_LINE_LENGTH,
  };
}

/** "256 MiB", "1.5 GiB", "512 bytes": for the messages of a LimitError. */
export function describeBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
