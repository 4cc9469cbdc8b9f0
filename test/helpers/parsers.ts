import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { expect } from "vitest";
import type { DumpSummaryBody } from "../../src/model/summary.js";
import { ParseError } from "../../src/model/parse-error.js";
import { MAX_TYPE_NAME_LENGTH } from "../../src/formats/normalise.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixturesDir = path.join(repoRoot, "test/fixtures/parsers");
/** Public .NET samples live beside the repo (in CI the repo is a fresh clone with shared/ next to it). */
export const sharedDotnetDir = path.resolve(repoRoot, "../shared/fixtures/dotnet");
export const hasShared = existsSync(sharedDotnetDir);
if (!hasShared) console.warn(`shared .NET fixtures not found at ${sharedDotnetDir}: tests using them are skipped`);

export function fixture(name: string): string {
  return readFileSync(path.join(fixturesDir, name), "utf8");
}

export function shared(name: string): string {
  return readFileSync(path.join(sharedDotnetDir, name), "utf8");
}

export const FUZZ_RUNS = 10_000;

const FORMATS = new Set(["jcmd-histogram", "jmap-histogram", "gcdump-report", "dumpheap-stat", "v8-heapsnapshot", "nettrace", "plain"]);

/** Asserts the DumpSummaryBody contract: finite non-negative numbers, sorted, unique, sums consistent. */
export function assertWellFormed(body: DumpSummaryBody, opts: { totalBytesIsSum?: boolean } = {}): void {
  if (!FORMATS.has(body.format)) throw new Error(`bad format ${body.format}`);
  if (typeof body.bytesExact !== "boolean") throw new Error("bytesExact not boolean");
  if (!Array.isArray(body.notes) || body.notes.some((n) => typeof n !== "string" || /[\r\n]/.test(n))) {
    throw new Error("notes must be one-line strings");
  }
  const seen = new Set<string>();
  let count = 0;
  let bytes = 0;
  let prev = Infinity;
  for (const r of body.types) {
    if (typeof r.type !== "string" || r.type.length === 0 || r.type.length > MAX_TYPE_NAME_LENGTH) {
      throw new Error(`bad type name ${JSON.stringify(r.type)}`);
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
    if (r.type !== r.type.trim() || /[\u0000-\u001f]/.test(r.type)) throw new Error(`unnormalised name ${JSON.stringify(r.type)}`);
    if (seen.has(r.type)) throw new Error(`duplicate type ${r.type}`);
    seen.add(r.type);
    for (const v of [r.count, r.bytes]) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`bad number ${v} for ${r.type}`);
    }
    if (r.bytes > prev) throw new Error("types not sorted by bytes descending");
    prev = r.bytes;
    count += r.count;
    bytes += r.bytes;
  }
  for (const v of [body.totalObjects, body.totalBytes]) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`bad total ${v}`);
  }
  if (!close(body.totalObjects, count)) throw new Error(`totalObjects ${body.totalObjects} != sum ${count}`);
  if (opts.totalBytesIsSum !== false && !close(body.totalBytes, bytes)) {
    throw new Error(`totalBytes ${body.totalBytes} != sum ${bytes}`);
  }
}

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The fuzz property: a well-formed body or a one-line ParseError, nothing else. */
export function bodyOrParseError(run: () => DumpSummaryBody, opts?: { totalBytesIsSum?: boolean }): DumpSummaryBody | ParseError {
  let body: DumpSummaryBody;
  try {
    body = run();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    if (!/^[a-z0-9-]+: line \d+: /.test(e.message) || /[\r\n]/.test(e.message)) throw new Error(`bad message ${e.message}`);
    if (!(e.line >= 1)) throw new Error(`bad line ${e.line}`);
    return e;
  }
  assertWellFormed(body, opts);
  return body;
}

/** Expects fn to throw a ParseError at the given line (and optionally with a reason matching re). */
export function expectParseError(fn: () => unknown, line: number | undefined, re?: RegExp): ParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    const pe = e as ParseError;
    if (line !== undefined) expect(pe.line).toBe(line);
    if (re) expect(pe.message).toMatch(re);
    expect(pe.message).not.toMatch(/[\r\n]/);
    return pe;
  }
  throw new Error("expected a ParseError");
}

const INTERESTING = [
  "0",
  "9",
  "1,234",
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  ",",
  ".",
  ":",
  "(",
  ")",
  "[",
  "]",
  ";",
  "$",
  "/",
  "@",
  "#",
  "-",
  '"',
  "\\",
  "\u00a0",
  "\u202f",
  "Total",
  "objects",
  "bytes",
  "Free",
  "x",
  "99999999999999999999",
  "(Bytes > 10K)",
  "/0x00007f4b4c002c00",
  "$$Lambda$9",
  "\ud83d",
  "\u0000",
];

/** Fragments that are likely to hit parser edge cases when spliced into real input. */
export const fragmentArb: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ unit: "binary", minLength: 1, maxLength: 4 }));

type Mutation =
  | { kind: "truncate"; at: number }
  | { kind: "replace"; at: number; len: number; with: string }
  | { kind: "insert"; at: number; with: string }
  | { kind: "insertLine"; at: number; with: string }
  | { kind: "deleteLine"; at: number }
  | { kind: "duplicateLine"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 3 }), with: fragmentArb }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), with: fragmentArb }),
  fc.record({ kind: fc.constant("insertLine" as const), at: fc.nat(), with: fc.oneof(fragmentArb, fc.string({ maxLength: 40 })) }),
  fc.record({ kind: fc.constant("deleteLine" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicateLine" as const), at: fc.nat() }),
);

export function applyMutation(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % (text.length + 1);
  switch (m.kind) {
    case "truncate":
      return text.slice(0, at);
    case "replace":
      return text.slice(0, at) + m.with + text.slice(at + m.len);
    case "insert":
      return text.slice(0, at) + m.with + text.slice(at);
    default: {
      const lines = text.split("\n");
      const li = m.at % lines.length;
      if (m.kind === "insertLine") lines.splice(li, 0, m.with);
      else if (m.kind === "deleteLine") lines.splice(li, 1);
      else lines.splice(li, 0, lines[li]!);
      return lines.join("\n");
    }
  }
}

/** Real fixtures with 1–4 random mutations (truncations, flipped characters, inserted/removed lines). */
export function mutatedArb(bases: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases), fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([base, ms]) => ms.reduce(applyMutation, base));
}

/** Arbitrary strings, line soups of interesting fragments, and mutated fixtures. */
export function fuzzInputArb(bases: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    {
      weight: 2,
      arbitrary: fc
        .array(
          fc.array(fragmentArb, { maxLength: 8 }).map((a) => a.join("")),
          { maxLength: 12 },
        )
        .map((l) => l.join("\n")),
    },
    { weight: 6, arbitrary: mutatedArb(bases) },
  );
}
