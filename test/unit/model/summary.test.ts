import { describe, expect, it } from "vitest";
import { OTHER_TYPE, typeLabel } from "../../../src/model/summary.js";

describe("typeLabel", () => {
  it("keeps ordinary names, including ones that merely contain (other)", () => {
    for (const t of ["java.lang.String", "(compiled code)", "(other) stuff", 'a"(other)', "(others)"]) expect(typeLabel(t)).toBe(t);
  });

  it("never gives a real type the overflow row's label, and keeps distinct names distinct", () => {
    const family = [OTHER_TYPE, `"${OTHER_TYPE}"`, `""${OTHER_TYPE}""`, `"${OTHER_TYPE}`, `${OTHER_TYPE}"`];
    const labels = family.map(typeLabel);
    expect(labels).not.toContain(OTHER_TYPE);
    expect(new Set(labels).size).toBe(family.length);
    expect(typeLabel(OTHER_TYPE)).toBe('"(other)"');
  });
});
