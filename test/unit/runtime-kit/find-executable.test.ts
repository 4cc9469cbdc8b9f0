import { describe, expect, it } from "vitest";
import { findExecutable } from "../../../src/runtime-kit/find-executable.js";

describe("findExecutable", () => {
  it("finds executables in PATH and extra directories only", async () => {
    expect(await findExecutable("sh", { PATH: "/bin:/usr/bin" })).toMatch(/\/sh$/);
    expect(await findExecutable("sh", { PATH: "" })).toBeUndefined();
    expect(await findExecutable("sh", { PATH: "" }, ["/bin"])).toBe("/bin/sh");
  });
});
