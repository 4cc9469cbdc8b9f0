import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type parseJavaHistogram, parseJcmdHistogram, parseJmapHistogram } from "../../../../src/runtimes/jvm/histogram.js";
import { FUZZ_RUNS, assertWellFormed, bodyOrParseError, expectParseError, fixture, fuzzInputArb } from "../../../helpers/parsers.js";

const jcmd17 = fixture("jcmd-class-histogram-jdk17.txt");
const jmap17 = fixture("jmap-histo-live-jdk17.txt");
// Hand-written from JDK 8's format strings (see test/fixtures/parsers/README.md): no module column.
const jmap8 = fixture("jmap-histo-jdk8-handwritten.txt");

function row(body: ReturnType<typeof parseJavaHistogram>, type: string) {
  return body.types.find((r) => r.type === type);
}

/** Independent sum of the fixture rows whose raw class name matches re. */
function sumRows(text: string, re: RegExp): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const m of text.matchAll(/^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)/gm)) {
    if (re.test(m[3]!)) {
      count += Number(m[1]);
      bytes += Number(m[2]);
    }
  }
  return { count, bytes };
}

describe("jcmd GC.class_histogram (captured, JDK 17)", () => {
  const body = parseJcmdHistogram(jcmd17);

  it("parses the known rows exactly", () => {
    assertWellFormed(body);
    expect(body.format).toBe("jcmd-histogram");
    expect(body.bytesExact).toBe(true);
    expect(row(body, "Leaky$LeakyThing")).toEqual({ type: "Leaky$LeakyThing", count: 5000, bytes: 120000 });
    expect(row(body, "byte[]")).toEqual({ type: "byte[]", count: 25106, bytes: 1640648 });
    expect(row(body, "long[]")).toEqual({ type: "long[]", count: 2211, bytes: 177240 });
    expect(row(body, "java.lang.String[]")).toEqual({ type: "java.lang.String[]", count: 106, bytes: 2792 });
    expect(body.types[0]!.type).toBe("byte[]");
  });

  it("uses the footer totals and merges lambda rows into one type", () => {
    expect(body.totalObjects).toBe(95131);
    expect(body.totalBytes).toBe(4450360);
    expect(body.types).toHaveLength(345);
    // Leaky$$Lambda$228/0x…, $229/0x…, $230/0x…: 1234 suppliers + a Runnable + a method reference.
    expect(row(body, "Leaky$$Lambda")).toEqual({ type: "Leaky$$Lambda", count: 1236, bytes: 19776 });
    expect(row(body, "Leaky$$Lambda")).toEqual({ type: "Leaky$$Lambda", ...sumRows(jcmd17, /^Leaky\$\$Lambda\$\d+\//) });
    expect(body.types.some((r) => /\/0x|\$\$Lambda\$\d|\(java\.base/.test(r.type))).toBe(false);
    expect(body.notes.join(" ")).toMatch(/58 rows merged/);
  });
});

describe("jmap -histo:live (captured, JDK 17)", () => {
  it("parses the known rows exactly", () => {
    const body = parseJmapHistogram(jmap17);
    assertWellFormed(body);
    expect(body.format).toBe("jmap-histogram");
    expect(body.totalObjects).toBe(94719);
    expect(body.totalBytes).toBe(4433864);
    expect(row(body, "Leaky$LeakyThing")).toEqual({ type: "Leaky$LeakyThing", count: 5000, bytes: 120000 });
    expect(row(body, "Leaky$$Lambda")?.count).toBe(1236);
    expect(row(body, "int[]")).toEqual({ type: "int[]", count: 995, bytes: 52424 });
  });
});

describe("jmap -histo (hand-written, JDK 8 layout)", () => {
  const body = parseJmapHistogram(jmap8);
  it("parses rows without a module column", () => {
    assertWellFormed(body);
    expect(body.totalObjects).toBe(102949);
    expect(body.totalBytes).toBe(6166776);
    expect(row(body, "char[]")).toEqual({ type: "char[]", count: 44842, bytes: 4389040 });
    expect(row(body, "com.example.LeakyThing")).toEqual({ type: "com.example.LeakyThing", count: 5000, bytes: 160000 });
    expect(row(body, "int[][]")).toEqual({ type: "int[][]", count: 400, bytes: 25600 });
    expect(row(body, "java.lang.Object[]")).toEqual({ type: "java.lang.Object[]", count: 1500, bytes: 120000 });
    expect(row(body, "boolean[]")).toEqual({ type: "boolean[]", count: 1, bytes: 24 });
  });
  it("strips JDK 8 lambda identity hashes and numbered accessors/proxies", () => {
    expect(row(body, "com.example.Main$$Lambda")).toEqual({ type: "com.example.Main$$Lambda", count: 1250, bytes: 20000 });
    expect(row(body, "sun.reflect.GeneratedMethodAccessor")).toEqual({ type: "sun.reflect.GeneratedMethodAccessor", count: 21, bytes: 336 });
    expect(row(body, "com.sun.proxy.$Proxy")?.count).toBe(2);
    expect(body.types).toHaveLength(13);
  });
});

describe("java histogram normalisation", () => {
  const table = (rows: [number, number, string][]) => {
    let c = 0;
    let b = 0;
    const lines = rows.map(([n, by, name], i) => {
      c += n;
      b += by;
      return `${String(i + 1).padStart(4)}: ${String(n).padStart(13)} ${String(by).padStart(13)}  ${name}`;
    });
    return [" num     #instances         #bytes  class name (module)", "-".repeat(55), ...lines, `Total ${c} ${b}`].join("\n");
  };

  it("merges hidden classes whose addresses differ, with and without the lambda counter", () => {
    const body = parseJmapHistogram(
      table([
        [3, 48, "Foo$$Lambda$9/0x00007f4b4c002c00"],
        [2, 32, "Foo$$Lambda$12/0x00007f4b4c003000"],
        [1, 16, "Foo$$Lambda/0x000000003e041800"],
        [4, 96, "java.lang.invoke.LambdaForm$MH/0x0000000800c0c400 (java.base@21.0.2)"],
        [1, 24, "[LFoo$$Lambda$3/0x00007f4b4c002c00;"],
      ]),
    );
    // Equal bytes: the larger count comes first.
    expect(body.types).toEqual([
      { type: "Foo$$Lambda", count: 6, bytes: 96 },
      { type: "java.lang.invoke.LambdaForm$MH", count: 4, bytes: 96 },
      { type: "Foo$$Lambda[]", count: 1, bytes: 24 },
    ]);
  });

  it("strips the module suffix, with or without a version", () => {
    const body = parseJmapHistogram(
      table([
        [1, 10, "a.B (java.base@17.0.15)"],
        [1, 10, "a.B (my.module)"],
        [1, 10, "a.B"],
      ]),
    );
    expect(body.types).toEqual([{ type: "a.B", count: 3, bytes: 30 }]);
  });

  it("keeps a class whose name contains spaces (legal in the JVM), with and without a module", () => {
    const body = parseJcmdHistogram(
      `4242:\n${table([
        [3, 48, "com.example.My Class"],
        [1, 16, "com.example.My Class (app@1.0)"],
        [2, 32, "a.B"],
      ])}`,
    );
    expect(body.types).toEqual([
      { type: "com.example.My Class", count: 4, bytes: 64 },
      { type: "a.B", count: 2, bytes: 32 },
    ]);
  });

  it("accepts CRLF line ends and a jcmd pid line", () => {
    const body = parseJcmdHistogram(`4242:\r\n${table([[2, 20, "[S"]]).replace(/\n/g, "\r\n")}\r\n`);
    expect(body.types).toEqual([{ type: "short[]", count: 2, bytes: 20 }]);
  });
});

describe("java histogram errors", () => {
  it("rejects truncated output (no Total footer) at the line after the end", () => {
    const cut = jcmd17.split("\n").slice(0, 100).join("\n");
    expectParseError(() => parseJcmdHistogram(cut), 101, /^jcmd-histogram: line 101: truncated/);
  });
  it("rejects a row cut in the middle", () => {
    const lines = jmap8.split("\n");
    const text = [...lines.slice(0, 5), "   4:          3120"].join("\n");
    expectParseError(() => parseJmapHistogram(text), 6, /unexpected line/);
  });
  it("rejects a garbled row with its line number", () => {
    const lines = jmap8.split("\n");
    lines[3] = lines[3]!.replace("44210", "44x10");
    expectParseError(() => parseJmapHistogram(lines.join("\n")), 4, /^jmap-histogram: line 4: unexpected line/);
  });
  it("rejects a footer that does not match the rows (a garbled digit)", () => {
    expectParseError(() => parseJmapHistogram(jmap8.replace("44842", "44843")), 18, /does not match/);
  });
  it("rejects output without a header (e.g. an attach failure)", () => {
    const text = "4242:\ncom.sun.tools.attach.AttachNotSupportedException: Unable to open socket file\n";
    expectParseError(() => parseJcmdHistogram(text), 2, /no 'num #instances/);
    expectParseError(() => parseJcmdHistogram(""), 1);
  });
  it("rejects numbers beyond 2^53", () => {
    const text = table1("99999999999999999999");
    expectParseError(() => parseJmapHistogram(text), 3, /out of range/);
  });
  function table1(n: string): string {
    return ` num     #instances         #bytes  class name\n---\n   1: ${n} 10  a.B\nTotal ${n} 10\n`;
  }
});

describe("java histogram fuzzing", () => {
  it("returns a well-formed body or throws ParseError on any input", () => {
    fc.assert(
      fc.property(fuzzInputArb([jcmd17, jmap17, jmap8]), fc.boolean(), (text, jcmd) => {
        bodyOrParseError(() => (jcmd ? parseJcmdHistogram(text) : parseJmapHistogram(text)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
