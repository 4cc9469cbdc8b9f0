import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TYPE_NAME_LENGTH, capTypeName, parseGroupedInt } from "../../../src/formats/normalise.js";
import { normaliseDotnetTypeName } from "../../../src/runtimes/dotnet/normalise.js";
import { normaliseJavaClassName } from "../../../src/runtimes/jvm/normalise.js";
import { normaliseV8Name } from "../../../src/runtimes/node/normalise.js";

describe("normalise", () => {
  it("maps Java array descriptors to readable names", () => {
    expect(normaliseJavaClassName("[B")).toBe("byte[]");
    expect(normaliseJavaClassName("[[J")).toBe("long[][]");
    expect(normaliseJavaClassName("[Ljava.lang.String;")).toBe("java.lang.String[]");
    expect(normaliseJavaClassName("[[Ljava.util.Map$Entry;")).toBe("java.util.Map$Entry[][]");
    // Not a valid descriptor: kept as printed.
    expect(normaliseJavaClassName("[X")).toBe("[X");
    expect(normaliseJavaClassName("[Lfoo")).toBe("[Lfoo");
  });
  it("strips lambda counters and hidden-class addresses", () => {
    expect(normaliseJavaClassName("Foo$$Lambda$9/0x00007f4b4c002c00")).toBe("Foo$$Lambda");
    expect(normaliseJavaClassName("Foo$$Lambda/0x000000003e041800")).toBe("Foo$$Lambda");
    expect(normaliseJavaClassName("Foo$$Lambda$1/1831932724")).toBe("Foo$$Lambda");
    expect(normaliseJavaClassName("java.util.regex.CharPredicates$$Lambda$17/0x800000025")).toBe("java.util.regex.CharPredicates$$Lambda");
    expect(normaliseJavaClassName("java.lang.invoke.LambdaForm$DMH/0x0000000801001800")).toBe("java.lang.invoke.LambdaForm$DMH");
    expect(normaliseJavaClassName("[LFoo$$Lambda$3/0x1;")).toBe("Foo$$Lambda[]");
    expect(normaliseJavaClassName("jdk.internal.reflect.GeneratedConstructorAccessor42")).toBe("jdk.internal.reflect.GeneratedConstructorAccessor");
    expect(normaliseJavaClassName("jdk.proxy2.$Proxy17")).toBe("jdk.proxy.$Proxy");
    expect(normaliseJavaClassName("com.example.Foo$1")).toBe("com.example.Foo$1"); // anonymous classes are stable
  });
  it("strips .NET size buckets and unknown-type addresses", () => {
    expect(normaliseDotnetTypeName("System.String (Bytes > 10K)")).toBe("System.String");
    expect(normaliseDotnetTypeName("System.Byte[] (Bytes > 1M)  ")).toBe("System.Byte[]");
    expect(normaliseDotnetTypeName("System.String")).toBe("System.String");
    expect(normaliseDotnetTypeName("<unknown_type_7ffc3b9b0000>")).toBe("<unknown_type>");
  });
  it("strips V8 @id suffixes and control characters", () => {
    expect(normaliseV8Name("Foo @12345")).toBe("Foo");
    expect(normaliseV8Name("Foo")).toBe("Foo");
    expect(normaliseV8Name("a\nb")).toBe("a b");
    expect(normaliseV8Name("")).toBe("(anonymous)");
  });
  it("caps names at MAX_TYPE_NAME_LENGTH consistently, never splitting a surrogate pair", () => {
    expect(MAX_TYPE_NAME_LENGTH).toBe(200);
    const long = "a".repeat(198) + "😀" + "b";
    const capped = capTypeName(long);
    expect(capped.length).toBeLessThanOrEqual(MAX_TYPE_NAME_LENGTH);
    expect(capped.endsWith("…")).toBe(true);
    expect(/[\ud800-\udbff]…$/.test(capped)).toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (s) => {
        const c = capTypeName(s);
        expect(c.length).toBeGreaterThan(0);
        expect(c.length).toBeLessThanOrEqual(MAX_TYPE_NAME_LENGTH);
        expect(capTypeName(c)).toBe(c); // idempotent
      }),
      { numRuns: 2000 },
    );
  });
  it("writes bidirectional controls out as visible escapes, so a name cannot reorder the text around it", () => {
    expect(capTypeName("Foo\u202Egnp.exe")).toBe("Foo\\u{202E}gnp.exe");
    expect(capTypeName("\u2066a\u2069\u200Fb")).toBe("\\u{2066}a\\u{2069}\\u{200F}b");
    expect(capTypeName("plain (no controls)")).toBe("plain (no controls)");
    const c = capTypeName("x\u202Ey");
    expect(capTypeName(c)).toBe(c);
  });
  it("parses thousands separators strictly", () => {
    expect(parseGroupedInt("1,302,804")).toBe(1302804);
    expect(parseGroupedInt("1.302.804")).toBe(1302804);
    expect(parseGroupedInt("1\u00a0302\u00a0804")).toBe(1302804);
    expect(parseGroupedInt("1\u202f302")).toBe(1302);
    expect(parseGroupedInt("1'302")).toBe(1302);
    expect(parseGroupedInt("48")).toBe(48);
    expect(parseGroupedInt("1,30")).toBeUndefined();
    expect(parseGroupedInt("1,302.804")).toBeUndefined();
    expect(parseGroupedInt("1,")).toBeUndefined();
    expect(parseGroupedInt("99999999999999999999")).toBeUndefined();
  });
});
