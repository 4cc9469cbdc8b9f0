// .NET type names as SOS prints them (`dotnet-dump analyze … -c "dumpheap -stat"`), the one spelling every .NET
// source produces so that a type keeps one series whichever source dumped it:
//   generic arguments in angle brackets after the type that declares them, separated by ", "
//     System.Collections.Generic.Dictionary<System.Int32, Leakwatch.Targets.Customer>+Entry[]
//     Leakwatch.Targets.Holder<System.Int32>+Slot
//   nested types after their declaring types with "+" (Outer+Inner, System.Type+<>c); arrays as [] / [,] / [][].
// The runtime's BulkType events spell a type the reflection way (`Dictionary\`2[System.Int32,…]`, arity suffixes,
// square brackets) and a nested type by its own name only (`Inner`, `Entry[System.Int32,…][]`); the declaring
// types come from the assembly's metadata (metadata.ts, module-files.ts).

/**
 * The `typeNames` of summaries spelt this way (nettrace, gcdump-report). Summaries stored before it have none:
 * their names were dotnet-gcdump's spelling, upgraded on read by sosFromGcdumpName.
 */
export const DOTNET_TYPE_NAMES = "sos";

/** A runtime (reflection-style) type name, parsed: `Ns.Outer\`1+Inner[[A],[B]][,]`. */
export interface RuntimeName {
  /** The definition's name with its declaring types and arity suffixes: `Ns.Outer\`1+Inner`. */
  def: string;
  /** Generic arguments, outermost declaring type's first. */
  args: RuntimeName[];
  /** Array and pointer suffixes, in order: `[]`, `[,]`, `[*]`, `*`, `&`. */
  suffix: string;
}

/** Deepest generic nesting parsed (a garbled name could nest without end). */
const MAX_DEPTH = 64;

/** Parses a reflection-style name; undefined when it is not one (unbalanced brackets, trailing text). */
export function parseRuntimeName(raw: string): RuntimeName | undefined {
  const p = { s: raw, i: 0 };
  const t = parseType(p, 0, false);
  return t !== undefined && p.i === raw.length ? t : undefined;
}

function parseType(p: { s: string; i: number }, depth: number, inArgs: boolean): RuntimeName | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const s = p.s;
  const start = p.i;
  // The definition: up to a bracket, or (inside an argument list) a comma. "<>c" has no brackets of ours in it.
  while (p.i < s.length) {
    const c = s[p.i]!;
    if (c === "[" || c === "]" || (inArgs && c === ",") || c === "*" || c === "&") break;
    p.i++;
  }
  const def = s.slice(start, p.i).trim();
  if (def === "") return undefined;
  const args: RuntimeName[] = [];
  if (s[p.i] === "[" && !isArraySpec(s, p.i)) {
    p.i++;
    for (;;) {
      const qualified = s[p.i] === "[";
      if (qualified) p.i++;
      const arg = parseType(p, depth + 1, true);
      if (arg === undefined) return undefined;
      if (qualified) {
        // `[Type, Assembly, Version=…]`: the assembly part is not part of the name.
        const close = s.indexOf("]", p.i);
        if (close < 0) return undefined;
        p.i = close + 1;
      }
      args.push(arg);
      while (s[p.i] === " ") p.i++;
      if (s[p.i] === ",") {
        p.i++;
        while (s[p.i] === " ") p.i++;
        continue;
      }
      if (s[p.i] !== "]") return undefined;
      p.i++;
      break;
    }
  }
  let suffix = "";
  for (;;) {
    if (s[p.i] === "*" || s[p.i] === "&") {
      suffix += s[p.i];
      p.i++;
    } else if (s[p.i] === "[" && isArraySpec(s, p.i)) {
      const close = s.indexOf("]", p.i);
      suffix += s.slice(p.i, close + 1);
      p.i = close + 1;
    } else break;
  }
  return { def, args, suffix };
}

/** True when s[at] opens an array rank: `[]`, `[,]`, `[*]`, `[,,]`. */
function isArraySpec(s: string, at: number): boolean {
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i];
    if (c === "]") return true;
    if (c !== "," && c !== "*") return false;
  }
  return false;
}

/** A definition's "+"-separated parts with the number of generic parameters each declares (its `N suffix). */
function segments(def: string): Array<{ name: string; arity: number }> {
  return def.split("+").map((part) => {
    const m = /^(.*)`(\d+)$/.exec(part);
    return m === null ? { name: part, arity: 0 } : { name: m[1]!, arity: Number(m[2]) };
  });
}

/**
 * The SOS spelling of a definition with its (already spelt) generic arguments: each declaring type takes as many
 * arguments as its arity suffix says, outermost first (`Holder\`1+Slot` with [Int32] → `Holder<System.Int32>+Slot`).
 * When the arities do not account for the arguments (a nested type whose declaring types are unknown), they all go
 * to the last part, as dotnet-gcdump writes them (`Slot<System.Int32>`).
 */
export function sosName(def: string, args: readonly string[], suffix = ""): string {
  const segs = segments(def);
  const total = segs.reduce((n, s) => n + s.arity, 0);
  let out: string;
  if (args.length === 0) out = segs.map((s) => s.name).join("+");
  else if (total === args.length) {
    let k = 0;
    out = segs
      .map((s) => {
        if (s.arity === 0) return s.name;
        const mine = args.slice(k, k + s.arity);
        k += s.arity;
        return `${s.name}<${mine.join(", ")}>`;
      })
      .join("+");
  } else out = `${segs.map((s) => s.name).join("+")}<${args.join(", ")}>`;
  return out + suffix;
}

/** The SOS spelling of a parsed runtime name (its arguments spelt the same way). */
export function sosFromRuntime(t: RuntimeName): string {
  return sosName(
    t.def,
    t.args.map((a) => sosFromRuntime(a)),
    t.suffix,
  );
}

/** The SOS spelling of a raw runtime name; a name that does not parse is kept as it is. */
export function sosFromRuntimeName(raw: string): string {
  const t = parseRuntimeName(raw);
  return t === undefined ? raw : sosFromRuntime(t);
}

/**
 * Brings a name written in dotnet-gcdump's spelling (or an earlier leakwatch's) closer to SOS's where that is
 * unambiguous: `System.String<,>` (an array rank written with angle brackets) → `System.String[,]`, and generic
 * arguments separated by ", " (`Dictionary<A,B>` → `Dictionary<A, B>`). What cannot be recovered from the text
 * stays: a nested type's missing declaring types (`Inner`, `<>c`, `Entry<A, B>[]`).
 */
export function sosFromGcdumpName(name: string): string {
  if (!name.includes("<")) return name;
  let out = name.replace(/<(,+)>/g, (m, commas: string, at: number) => (at > 0 && isNameChar(name[at - 1]!) ? `[${commas}]` : m));
  if (out.includes(",")) {
    let depth = 0;
    let fixed = "";
    for (let i = 0; i < out.length; i++) {
      const c = out[i]!;
      if (c === "<") depth++;
      else if (c === ">") depth--;
      fixed += c;
      if (c === "," && depth > 0 && out[i + 1] !== " " && out[i + 1] !== "," && out[i + 1] !== "]") fixed += " ";
    }
    out = fixed;
  }
  return out;
}

function isNameChar(c: string): boolean {
  return c !== "<" && c !== "," && c !== " " && c !== "+";
}
