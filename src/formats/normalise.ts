// Type-name rules shared by all parsers: a type must keep one name (and so one Prometheus series) across dumps
// and restarts, and names are capped so a pathological name cannot blow up label sizes. What varies from run to
// run in one runtime's names (addresses, counters, size buckets) is removed by that runtime's normalise.ts.

/** Longest type name the parsers emit; longer names are cut to this length (ending in "…"). */
export const MAX_TYPE_NAME_LENGTH = 200;

const ELLIPSIS = "…";
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_CLEANING = /[\u0000-\u001f\u007f\ud800-\udfff]/;
/**
 * Bidirectional formatting characters (LRM, RLM, ALM, the embeddings, overrides and isolates): in a type name they
 * would reorder the text around it wherever it is shown (U+202E reverses its neighbours), so they are written out
 * as visible escapes instead: "Foo\u{202E}Bar".
 */
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const BIDI_CONTROLS = new RegExp(BIDI_CONTROL.source, "g");
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Trims and caps a type name to MAX_TYPE_NAME_LENGTH characters; empty names become "(anonymous)". */
export function capTypeName(name: string): string {
  // Control characters would make labels and log lines unreadable (V8 names may contain escaped newlines);
  // lone surrogates (possible in JSON \u escapes) cannot be encoded in UTF-8 output.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  let t = (NEEDS_CLEANING.test(name) ? name.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(LONE_SURROGATE, "\ufffd") : name).trim();
  if (BIDI_CONTROL.test(t)) t = t.replace(BIDI_CONTROLS, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase()}}`);
  if (t.length === 0) return "(anonymous)";
  if (t.length <= MAX_TYPE_NAME_LENGTH) return t;
  let end = MAX_TYPE_NAME_LENGTH - ELLIPSIS.length;
  // Never split a surrogate pair: a lone surrogate is not valid UTF-8 in the metrics output.
  const code = t.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return t.slice(0, end) + ELLIPSIS;
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
