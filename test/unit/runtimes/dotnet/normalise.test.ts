import { describe, expect, it } from "vitest";
import { normaliseDotnetTypeName } from "../../../../src/runtimes/dotnet/normalise.js";

describe("normaliseDotnetTypeName", () => {
  it("strips .NET size buckets and unknown-type addresses", () => {
    expect(normaliseDotnetTypeName("System.String (Bytes > 10K)")).toBe("System.String");
    expect(normaliseDotnetTypeName("System.Byte[] (Bytes > 1M)  ")).toBe("System.Byte[]");
    expect(normaliseDotnetTypeName("System.String")).toBe("System.String");
    expect(normaliseDotnetTypeName("<unknown_type_7ffc3b9b0000>")).toBe("<unknown_type>");
  });
});
