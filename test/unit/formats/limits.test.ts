// The read caps (--max-dump-bytes, --max-dump-types, the line-length cap) and the streaming path that makes them
// hold: every text format parsed chunk by chunk gives what the whole text gives, and input over a cap is a
// LimitError (a ParseError, so a dump fails as parse_error) raised as soon as the cap is crossed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_DUMP_LIMITS, dumpLimits, describeBytes } from "../../../src/formats/limits.js";
import { parsePlain, streamPlain } from "../../../src/formats/plain.js";
import { TypeLimitError, TypeTable } from "../../../src/formats/type-table.js";
import { LimitError, ParseError } from "../../../src/model/parse-error.js";
import { createDumpReader, parseText } from "../../../src/runtimes/index.js";
import { createV8SnapshotParser } from "../../../src/runtimes/node/snapshot.js";
import { parseJmapHistogram, streamJavaHistogram, withoutModule } from "../../../src/runtimes/jvm/histogram.js";
import { parseGcdumpReport, withoutModuleColumn } from "../../../src/runtimes/dotnet/formats/gcdump-report.js";
import { fixture } from "../../helpers/parsers.js";

const TEXT_FIXTURES = [
  "jcmd-class-histogram-jdk17.txt",
  "jmap-histo-live-jdk17.txt",
  "jmap-histo-jdk8-handwritten.txt",
  "dumpheap-stat-managed-session-handwritten.txt",
  "gcdump-report-de-locale-handwritten.txt",
];

/** The bytes of text cut at the given offsets (anywhere: inside a line, a CRLF, a multi-byte character). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("streaming text formats", () => {
  it.each(TEXT_FIXTURES)("%s: any split into chunks parses as the whole text does", (name) => {
    const text = fixture(name);
    const whole = parseText(text);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
        const reader = createDumpReader();
        for (const chunk of cut(Buffer.from(text, "utf8"), offsets)) reader.write(chunk);
        expect(reader.end()).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it("decodes a multi-byte character split across chunks, and CRLF split between CR and LF", () => {
    const text = "1 2 中文字\r\n3 4 Ünïcödé\r\n";
    const bytes = Buffer.from(text, "utf8");
    for (let i = 1; i < bytes.length; i++) {
      const s = streamPlain();
      s.write(bytes.subarray(0, i));
      s.write(bytes.subarray(i));
      expect(s.end().types.map((t) => t.type)).toEqual(["Ünïcödé", "中文字"]);
    }
  });

  it("reports errors at the same line as the whole-text parser", () => {
    const text = "1 2 A\n3 4 B\nnot a row\n5 6 C\n";
    const whole = thrown(() => parsePlain(text)) as ParseError;
    const s = streamPlain();
    const streamed = thrown(() => {
      for (const c of text) s.write(c);
      s.end();
    }) as ParseError;
    expect(streamed).toBeInstanceOf(ParseError);
    expect(streamed.message).toBe(whole.message);
    expect(streamed.line).toBe(3);
    // The failure sticks: a caller that goes on writing gets it again.
    expect(() => s.write("7 8 D\n")).toThrow(streamed.message);
    expect(() => s.end()).toThrow(streamed.message);
  });
});

describe("caps", () => {
  it("--max-dump-bytes: more text than the cap is a LimitError at the chunk that crosses it", () => {
    const s = streamPlain(dumpLimits({ maxBytes: 100 }));
    s.write("1 2 A\n".repeat(16)); // 96 bytes
    const err = thrown(() => s.write("1 2 A\n")) as LimitError;
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toBeInstanceOf(ParseError);
    expect(err.limit).toBe("bytes");
    expect(err.message).toMatch(/^plain: line 17: more than 100 bytes of text \(--max-dump-bytes\)$/);
  });

  it("the line-length cap: endless text without a newline fails once the line is over the cap, whatever the chunks", () => {
    const s = streamPlain(dumpLimits({ maxLineLength: 1000 }));
    s.write("1 2 A\n");
    const zeros = Buffer.alloc(300); // NULs, as from /dev/zero
    let err: unknown;
    let written = 0;
    while (err === undefined && written < 10_000) {
      try {
        s.write(zeros);
        written += zeros.length;
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(LimitError);
    expect((err as LimitError).limit).toBe("line");
    expect((err as LimitError).line).toBe(2);
    expect(written).toBeLessThanOrEqual(1000);
    // In one chunk too, with or without its newline.
    const one = streamPlain(dumpLimits({ maxLineLength: 1000 }));
    expect((thrown(() => one.write(`1 2 A\n${"\0".repeat(2000)}`)) as LimitError).line).toBe(2);
    // A long line inside one chunk is caught too.
    expect((thrown(() => parsePlain(`1 2 ${"x".repeat(2000)}\n`, dumpLimits({ maxLineLength: 1000 }))) as LimitError).limit).toBe("line");
  });

  it("--max-dump-types: a type beyond the cap is a LimitError with its line; rows of known types still merge", () => {
    const limits = dumpLimits({ maxTypes: 3 });
    expect(parsePlain("1 1 A\n1 1 B\n1 1 C\n1 1 A\n1 1 C\n", limits).types).toHaveLength(3);
    const err = thrown(() => parsePlain("1 1 A\n1 1 B\n1 1 A\n1 1 C\n1 1 D\n", limits)) as LimitError;
    expect(err).toBeInstanceOf(LimitError);
    expect(err.limit).toBe("types");
    expect(err.message).toBe("plain: line 5: more than 3 distinct types (--max-dump-types)");
    // The same through a histogram parser fed as a tool prints it.
    const rows = Array.from({ length: 5 }, (_, i) => `${String(i + 1).padStart(4)}:  1  16  Class${i}`).join("\n");
    const s = streamJavaHistogram("jmap-histogram", limits);
    expect(() => s.write(` num     #instances         #bytes  class name\n${rows}\n`)).toThrow(/line 5: more than 3 distinct types/);
  });

  it("TypeTable: the cap counts distinct names, merges are always allowed", () => {
    const t = new TypeTable(2);
    t.add("A", 1, 1);
    t.add("B", 1, 1);
    expect(t.add("A", 1, 1)).toBe(true);
    expect(() => t.add("C", 1, 1)).toThrow(TypeLimitError);
    expect(t.size).toBe(2);
  });

  it("V8 snapshots: distinct constructor names are capped, their size is not", () => {
    const snapshot = (names: number) =>
      `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size"],"node_types":[["object"],"string","number","number"]},"node_count":${names}},` +
      `"nodes":[${Array.from({ length: names }, (_, i) => `0,${i},${i + 1},8`).join(",")}],"strings":[${Array.from({ length: names }, (_, i) => `"N${i}"`).join(",")}]}`;
    const ok = createV8SnapshotParser({ maxTypes: 5 });
    ok.write(snapshot(5));
    expect(ok.end().types).toHaveLength(5);
    const over = createV8SnapshotParser({ maxTypes: 5 });
    const err = thrown(() => over.write(snapshot(6))) as LimitError;
    expect(err).toBeInstanceOf(LimitError);
    expect(err.message).toMatch(/^v8-heapsnapshot: line 1: more than 5 distinct names \(--max-dump-types\)$/);
    // The byte cap is for text formats: a snapshot streamed through the reader is not cut at it.
    const reader = createDumpReader({ limits: dumpLimits({ maxBytes: 100 }) });
    reader.write(snapshot(20));
    expect(reader.end().types).toHaveLength(20);
  });

  it("defaults: 256 MiB, a million types, 1 Mi-character lines", () => {
    expect(DEFAULT_DUMP_LIMITS).toEqual({ maxBytes: 256 * 1024 * 1024, maxTypes: 1_000_000, maxLineLength: 1024 * 1024 });
    expect(describeBytes(256 * 1024 * 1024)).toBe("256 MiB");
    expect(describeBytes(1536)).toBe("1536 bytes");
  });
});

describe("createDumpReader", () => {
  it("holds back the first 64 KiB to recognise the format, fed in any chunks", () => {
    const text = fixture("jcmd-class-histogram-jdk17.txt");
    const reader = createDumpReader();
    for (let i = 0; i < text.length; i += 7) reader.write(text.slice(i, i + 7));
    expect(reader.end().format).toBe("jcmd-histogram");
  });

  it("fails as soon as 64 KiB match no format (endless NULs, binary noise), not at the end", () => {
    const reader = createDumpReader();
    const zeros = Buffer.alloc(16 * 1024);
    let err: unknown;
    let written = 0;
    while (err === undefined && written < 1024 * 1024) {
      try {
        reader.write(zeros);
        written += zeros.length;
      } catch (e) {
        err = e;
      }
    }
    expect((err as ParseError).message).toBe("unknown: line 1: unrecognised heap statistics format");
    expect(written).toBeLessThan(64 * 1024);
  });

  it("uses the given format, or the one a file's suffix names", () => {
    expect(() => createDumpReader({ format: "plain" }).end()).toThrow(/^plain: line 1: no 'count bytes type' rows/);
    expect(() => createDumpReader({ file: "x.heapsnapshot" }).end()).toThrow(/^v8-heapsnapshot:/);
    expect(() => createDumpReader({ format: "nettrace" }).write("x")).toThrow(/^nettrace:/);
  });
});

describe("no step is slow on a long garbled line (lines may be 1 Mi characters)", () => {
  // The regexes these replace, for the equivalence check.
  const OLD_JAVA_NAME = /^(\S.*?)(?:\s+\([^()\s]*\))?$/;
  const OLD_MODULE_COLUMN = /[ \t]{2}\[[^\]]*\]$/;
  const piece = fc.constantFrom("a", "B", " ", "  ", "\t", "(", ")", "[", "]", "@", "x.y", "\u00a0");

  it("withoutModule cuts what the old regex did", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const rest = `N${parts.join("")}`.trimEnd();
        if (rest === "") return;
        expect(withoutModule(rest)).toBe(OLD_JAVA_NAME.exec(rest)![1]);
      }),
      { numRuns: 5000 },
    );
  });

  it("withoutModuleColumn cuts what the old regex did", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const rest = `N${parts.join("")}`;
        expect(withoutModuleColumn(rest)).toBe(rest.replace(OLD_MODULE_COLUMN, ""));
      }),
      { numRuns: 5000 },
    );
  });

  it("parses 1 Mi-character garbled rows in linear time (the old regexes took hours)", () => {
    const n = 1024 * 1024 - 100;
    const header = " num     #instances         #bytes  class name\n";
    const jvm = parseJmapHistogram(`${header}   1:  1  16  x${" ".repeat(n)}y\nTotal 1 16\n`);
    expect(jvm.types[0]!.count).toBe(1);
    const gcdump = parseGcdumpReport(`Object Bytes Count Type\n 8 1 x${"  [a".repeat(n / 4)}\n`);
    expect(gcdump.types).toHaveLength(1);
  });
});
