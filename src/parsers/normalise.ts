// Type-name normalisation shared by all parsers: a type must keep one name (and so one Prometheus series)
// across dumps and restarts, so everything that varies from run to run (addresses, counters, module versions,
// size buckets) is removed here, and names are capped so a pathological name cannot blow up label sizes.

/** Longest type name the parsers emit; longer names are cut to this length (ending in "…"). */
export const MAX_TYPE_NAME_LENGTH = 200;

const ELLIPSIS = "…";
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_CLEANING = /[\u0000-\u001f\u007f\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Trims and caps a type name to MAX_TYPE_NAME_LENGTH characters; empty names become "(anonymous)". */
export function capTypeName(name: string): string {
  // Control characters would make labels and log lines unreadable (V8 names may contain escaped newlines);
  // lone surrogates (possible in JSON \u escapes) cannot be encoded in UTF-8 output.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const t = (NEEDS_CLEANING.test(name) ? name.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(LONE_SURROGATE, "\ufffd") : name).trim();
  if (t.length === 0) return "(anonymous)";
  if (t.length <= MAX_TYPE_NAME_LENGTH) return t;
  let end = MAX_TYPE_NAME_LENGTH - ELLIPSIS.length;
  // Never split a surrogate pair: a lone surrogate is not valid UTF-8 in the metrics output.
  const code = t.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return t.slice(0, end) + ELLIPSIS;
}

const JAVA_PRIMITIVES: Record<string, string> = {
  B: "byte",
  C: "char",
  D: "double",
  F: "float",
  I: "int",
  J: "long",
  S: "short",
  Z: "boolean",
};

/**
 * Normalises a Java class name as printed by jmap/jcmd (module suffix already removed by the caller).
 * Array classes are mapped to their readable source form (`[B` → `byte[]`, `[[Ljava.lang.String;` →
 * `java.lang.String[][]`) because that is what people search dashboards for; malformed descriptors are kept.
 */
export function normaliseJavaClassName(raw: string): string {
  let name = raw.trim();
  let dims = 0;
  while (name.charCodeAt(dims) === 0x5b /* [ */) dims++;
  if (dims > 0) {
    const elem = name.slice(dims);
    let base: string | undefined;
    if (elem.length === 1) base = JAVA_PRIMITIVES[elem];
    else if (elem.startsWith("L") && elem.endsWith(";") && elem.length > 2) base = elem.slice(1, -1);
    if (base !== undefined) name = base + "[]".repeat(dims);
  }
  return capTypeName(stripJavaRunSpecific(name));
}

/**
 * Removes the parts of hidden/generated class names that change from run to run:
 * - hidden-class address or JDK 8 identity hash: `Foo$$Lambda$9/0x00007f4b4c002c00`, `Foo$$Lambda$1/471910020`
 * - the lambda counter: `Foo$$Lambda$9` → `Foo$$Lambda` (JDK 21 already prints `Foo$$Lambda/0x…`)
 * - reflection accessors and proxies numbered in creation order (`GeneratedMethodAccessor12`, `$Proxy7`,
 *   `jdk.proxy2`), which otherwise make a new series for the same code on every restart.
 */
export function stripJavaRunSpecific(name: string): string {
  // Cheap substring checks first: most names need none of the regexes (histograms can have 1 M rows).
  // The common shapes (`Foo$$Lambda$9/0x…`, `LambdaForm$MH/0x…`) are cut with slices; the regexes handle the rest
  // (arrays of hidden classes, several suffixes).
  let n = name;
  const slash = n.indexOf("/");
  if (slash >= 0) {
    if (slash === n.lastIndexOf("/") && isAddressOrHash(n, slash + 1)) n = n.slice(0, slash);
    else n = n.replace(/\/(?:0x[0-9a-fA-F]+|\d+)(?=\[|;|$)/g, "");
  }
  const lambda = n.indexOf("$$Lambda$");
  if (lambda >= 0) {
    let i = lambda + 9;
    while (i < n.length && isDigitCode(n.charCodeAt(i))) i++;
    if (i === n.length && i > lambda + 9) n = n.slice(0, lambda + 8);
    else n = n.replace(/\$\$Lambda\$\d+/g, "$$$$Lambda");
  }
  if (n.includes("Accessor")) n = n.replace(/\b(Generated(?:Serialization)?(?:Method|Constructor)Accessor)\d+\b/g, "$1");
  if (n.includes("roxy")) n = n.replace(/\$Proxy\d+\b/g, "$$Proxy").replace(/\bjdk\.proxy\d+\./g, "jdk.proxy.");
  return n;
}

/** True when name[from..] is `0x` + hex digits or decimal digits, up to the end. */
function isAddressOrHash(name: string, from: number): boolean {
  let i = from;
  const hex = name.charCodeAt(i) === 48 && name.charCodeAt(i + 1) === 120; // "0x"
  if (hex) i += 2;
  const start = i;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isDigitCode(c) || (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))))) return false;
  }
  return i > start;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `System.String (Bytes > 10K)` → `System.String`: gcdump's size buckets are one type. */
// No leading \s* in the pattern: an unanchored \s* backtracks quadratically on long blank runs; trimEnd instead.
const DOTNET_SIZE_BUCKET = /\(Bytes ?> ?[\d.,'\u00a0\u202f]+ ?[KMGT]?B?\)$/;
/** SOS prints unknown types with their method table address: `<unknown_type_7ffc3b9b86f8>`. */
const DOTNET_UNKNOWN_TYPE = /<unknown_type_[0-9a-fA-F]+>/g;

/** Normalises a .NET type name (gcdump report or SOS dumpheap; module column already removed). */
export function normaliseDotnetTypeName(raw: string): string {
  return capTypeName(raw.trimEnd().replace(DOTNET_SIZE_BUCKET, "").replace(DOTNET_UNKNOWN_TYPE, "<unknown_type>"));
}

/** True when a gcdump type name carries a size-bucket suffix. */
export function hasDotnetSizeBucket(raw: string): boolean {
  return DOTNET_SIZE_BUCKET.test(raw.trimEnd());
}

/** Normalises a V8 constructor/native name: drops ` @123` object-id suffixes. */
export function normaliseV8Name(raw: string): string {
  return capTypeName(raw.trimEnd().replace(/@\d+$/, ""));
}

/** Normalises a type name from the plain `count bytes type` format (no tool-specific rules). */
export function normalisePlainTypeName(raw: string): string {
  return capTypeName(raw);
}

/**
 * Parses a non-negative integer that may carry thousands separators: `,` (current .NET and SOS), and the
 * locale separators of older builds (`.`, `'`, `’`, U+00A0, U+202F). Separators must group digits by three,
 * so garbled numbers ("1,2,3") are rejected rather than misread. Returns undefined when not a number or
 * beyond 2^53 (such values could not be represented exactly and only come from garbage).
 */
export function parseGroupedInt(text: string): number | undefined {
  if (/^\d+$/.test(text)) return toSafe(text);
  const m = /^(\d{1,3})((?:[,.'’\u00a0\u202f]\d{3})+)$/.exec(text);
  if (m === null) return undefined;
  const sep = m[2]!.charAt(0);
  const digits = m[1]! + m[2]!.split(sep).join("");
  if (!/^\d+$/.test(digits)) return undefined; // mixed separators
  return toSafe(digits);
}

/** Parses plain decimal digits; undefined when empty, not digits, or beyond 2^53. */
export function parsePlainInt(text: string): number | undefined {
  return /^\d+$/.test(text) ? toSafe(text) : undefined;
}

function toSafe(digits: string): number | undefined {
  const n = digits.length > 16 ? Number(digits) : parseInt(digits, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}
