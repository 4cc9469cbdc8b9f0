import { describe, expect, it } from "vitest";
import { HEAP_SOURCE_NAMES, createSource } from "../../../src/sources/index.js";

describe("createSource", () => {
  it("builds each --heap-source by name", () => {
    expect(createSource("jvm").name).toBe("jvm");
    expect(createSource("v8").name).toBe("v8");
    expect(createSource("dotnet-text").name).toBe("dotnet-text");
    expect(createSource("command", { command: ["my-tool", "{pid}"] }).name).toBe("command");
    expect(createSource("file", { dir: "/tmp" }).name).toBe("file");
    expect(createSource("dotnet").name).toBe("dotnet"); // the native EventPipe source
    expect(HEAP_SOURCE_NAMES).toContain("dotnet");
  });

  it("throws clear errors for missing options and unknown names", () => {
    expect(() => createSource("command")).toThrow(/needs a command/);
    expect(() => createSource("file")).toThrow(/needs a directory/);
    expect(() => createSource("perl")).toThrow(/unknown heap source "perl".*jvm, v8/);
  });
});

describe("HEAP_SOURCE_NAMES", () => {
  it("is every runtime's sources, then the generic command and file", () => {
    expect(HEAP_SOURCE_NAMES).toEqual(["jvm", "v8", "dotnet", "dotnet-text", "command", "file"]);
    for (const name of HEAP_SOURCE_NAMES.slice(0, -2)) expect(createSource(name).name).toBe(name);
  });
});
