import { describe, expect, it } from "vitest";
import { normaliseV8Name } from "../../../../src/runtimes/node/normalise.js";

describe("normaliseV8Name", () => {
  it("strips V8 @id suffixes and control characters", () => {
    expect(normaliseV8Name("Foo @12345")).toBe("Foo");
    expect(normaliseV8Name("Foo")).toBe("Foo");
    expect(normaliseV8Name("a\nb")).toBe("a b");
    expect(normaliseV8Name("")).toBe("(anonymous)");
  });
});
