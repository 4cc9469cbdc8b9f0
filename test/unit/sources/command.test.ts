import { describe, expect, it } from "vitest";
import { substitutePid } from "../../../src/sources/command.js";

describe("small helpers", () => {
  it("substitutes {pid} anywhere in arguments", () => {
    expect(substitutePid(["tool", "-p", "{pid}", "--out=/tmp/{pid}.txt", "x"], 42)).toEqual(["tool", "-p", "42", "--out=/tmp/42.txt", "x"]);
  });
});
