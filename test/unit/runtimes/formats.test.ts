import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectFormat, parseText } from "../../../src/runtimes/index.js";
import { ParseError } from "../../../src/model/parse-error.js";
import { parsePlain } from "../../../src/formats/plain.js";
import { FUZZ_RUNS, bodyOrParseError, expectParseError, fixture, fuzzInputArb, hasShared, shared } from "../../helpers/parsers.js";

const plainSample = "# leakwatch plain format\n\n12 480 My Type With Spaces\n3 96 Other\n  4 160   My Type With Spaces  \n";

describe("plain 'count bytes type'", () => {
  it("parses rows, comments, blank lines, types with spaces, and merges", () => {
    const body = parsePlain(plainSample);
    expect(body).toEqual({
      format: "plain",
      totalObjects: 19,
      totalBytes: 736,
      bytesExact: true,
      types: [
        { type: "My Type With Spaces", count: 16, bytes: 640 },
        { type: "Other", count: 3, bytes: 96 },
      ],
      notes: [],
    });
  });
  it("caps long type names", () => {
    const body = parsePlain(`1 1 ${"x".repeat(500)}\n1 1 ${"x".repeat(400)}\n`);
    expect(body.types).toHaveLength(1);
    expect(body.types[0]!.type).toHaveLength(200);
    expect(body.types[0]!.count).toBe(2);
  });
  it("rejects garbled lines and empty input with the line", () => {
    expectParseError(() => parsePlain("1 2 A\n3 B\n"), 2, /^plain: line 2: expected 'count bytes type'/);
    expectParseError(() => parsePlain("1 2 A\n3 4\n"), 2);
    expectParseError(() => parsePlain("1 -2 A\n"), 1);
    expectParseError(() => parsePlain("# only a comment\n"), 1, /no 'count bytes type' rows/);
    expectParseError(() => parsePlain("99999999999999999999 1 A\n"), 1, /out of range/);
  });
});

describe("detectFormat / parseText", () => {
  it("detects every captured and sample format", () => {
    expect(detectFormat(fixture("jcmd-class-histogram-jdk17.txt"))).toBe("jcmd-histogram");
    expect(detectFormat(fixture("jmap-histo-live-jdk17.txt"))).toBe("jmap-histogram");
    expect(detectFormat(fixture("jmap-histo-jdk8-handwritten.txt"))).toBe("jmap-histogram");
    expect(detectFormat(fixture("dumpheap-stat-managed-session-handwritten.txt"))).toBe("dumpheap-stat");
    expect(detectFormat(fixture("gcdump-report-de-locale-handwritten.txt"))).toBe("gcdump-report");
    expect(detectFormat(plainSample)).toBe("plain");
    expect(detectFormat('{"snapshot":{"meta":{"node_fields":[]}}}')).toBe("v8-heapsnapshot");
    expect(detectFormat(' \n{ "snapshot" : { "meta" : {')).toBe("v8-heapsnapshot");
    expect(detectFormat("hello world")).toBeNull();
    expect(detectFormat("")).toBeNull();
  });
  it.skipIf(!hasShared)("detects the shared .NET samples", () => {
    expect(detectFormat(shared("gcdump-report-docs.txt"))).toBe("gcdump-report");
    expect(detectFormat(shared("dumpheap-stat-native-sos.txt"))).toBe("dumpheap-stat");
    expect(detectFormat(shared("dumpheap-stat-managed-sos.txt"))).toBe("dumpheap-stat");
  });
  it("dispatches to the detected or the given parser", () => {
    expect(parseText(plainSample).format).toBe("plain");
    expect(parseText(fixture("jcmd-class-histogram-jdk17.txt")).format).toBe("jcmd-histogram");
    // jcmd output parsed as jmap: same table, the caller's format wins.
    expect(parseText(fixture("jcmd-class-histogram-jdk17.txt"), "jmap-histogram").format).toBe("jmap-histogram");
    const v8 =
      '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size"],"node_types":[["object"],"string","number","number"]},"node_count":1},"nodes":[0,0,1,8],"strings":["A"]}';
    expect(parseText(v8).types).toEqual([{ type: "A", count: 1, bytes: 8 }]);
  });
  it("throws ParseError for unknown input and for nettrace", () => {
    expectParseError(() => parseText("hello"), 1, /^unknown: line 1: unrecognised/);
    expectParseError(() => parseText("x", "nettrace"), 1, /^nettrace:/);
  });
  it("fuzz: detectFormat never throws, parseText gives a body or ParseError", () => {
    const bases = [
      fixture("jmap-histo-jdk8-handwritten.txt"),
      fixture("dumpheap-stat-managed-session-handwritten.txt"),
      fixture("gcdump-report-de-locale-handwritten.txt"),
      plainSample,
    ];
    fc.assert(
      fc.property(fuzzInputArb(bases), (text) => {
        const f = detectFormat(text);
        const r = bodyOrParseError(() => parseText(text), { totalBytesIsSum: f !== "gcdump-report" });
        if (!(r instanceof ParseError)) expect(r.format).toBe(f);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
  it("fuzz: plain parser gives a body or ParseError", () => {
    fc.assert(
      fc.property(fuzzInputArb([plainSample, "1 2 a\n3 4 b c\n#x\n"]), (text) => {
        bodyOrParseError(() => parsePlain(text));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
