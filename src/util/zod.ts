// zod's classic (v3) API, which the zod 4 package keeps at "zod/v3" for good. The daemon imports zod at start-up
// to check its configuration, and zod 4's root export costs ~5 MB of resident memory and ~3 MB of V8 heap for
// that (measured with every other dependency loaded), against ~1 MB for this one: a fifth of the idle-RSS budget.
import { z } from "zod/v3";

// v3 reports a value that matches no member of a union as a bare "Invalid input". Where every member failed on
// the value's type, say which types were expected and what came instead.
z.setErrorMap((issue, ctx) => {
  if (issue.code === z.ZodIssueCode.invalid_union) {
    const wrongType = issue.unionErrors.map((e) => e.issues.find((i) => i.code === z.ZodIssueCode.invalid_type && i.path.length === issue.path.length));
    if (wrongType.every((i) => i !== undefined)) {
      const expected = [...new Set(wrongType.map((i) => (i as z.ZodInvalidTypeIssue).expected))];
      return { message: `expected ${expected.join(" or ")}, got ${(wrongType[0] as z.ZodInvalidTypeIssue).received}` };
    }
  }
  return { message: ctx.defaultError };
});

export { z };
