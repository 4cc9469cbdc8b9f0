import { describe, expect, it } from "vitest";
import { normaliseJavaClassName } from "../../../../src/runtimes/jvm/normalise.js";

describe("normaliseJavaClassName", () => {
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
});
