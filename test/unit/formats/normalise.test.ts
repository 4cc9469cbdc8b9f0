import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_TYPE_NAME_LENGTH, capTypeName, parseGroupedInt } from "../../../src/formats/normalise.js";

describe("normalise", () => {
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
