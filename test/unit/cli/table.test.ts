import { describe, expect, it } from "vitest";
import { renderTable } from "../../../src/cli/table.js";

describe("renderTable", () => {
  it("aligns columns to the widest cell", () => {
    expect(
      renderTable(
        ["n", "type"],
        [
          ["1", "a"],
          ["1,000", "bb"],
        ],
        [true, false],
      ),
    ).toBe("    n  type\n    1  a\n1,000  bb");
  });

  it("renders 300 k rows (a histogram of that many types) without overflowing the stack", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), `Type${i}`]);
    const out = renderTable(["objects", "type"], rows, [true, false]);
    expect(out.split("\n")).toHaveLength(300_001);
    expect(out.split("\n")[300_000]).toBe(` 299999  Type299999`);
  });
});
