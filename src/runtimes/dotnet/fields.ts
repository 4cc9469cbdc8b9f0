// Instance field names for the .NET heap graph's references. The runtime's GCBulkEdge events say which object refers
// to which, never through which field (CoreCLR leaves ReferencingFieldID 0), so a path would read `(Runspace[]) →
// Runspace[]`. The target's assemblies say which fields each type declares, and of which type: where exactly one
// reference field of the referring type (its own or inherited) is declared with the referred object's exact type,
// that field names the reference (`_items → Runspace[]`). A field declared as a base class, an interface or object, or
// two fields of the one type, leave the type as the name. Types are spelt as the dump spells them (SOS's way:
// `Dictionary<System.String, System.Object>+Entry[]`). Written by hand: no npm library reads ECMA-335 signatures.
import { type AssemblyTypes, fullTypeDefName } from "./metadata.js";

/** A reference field of a type: its name as a path shows it, and its declared type spelt as the dump spells types. */
export interface FieldOfType {
  readonly name: string;
  readonly type: string;
}

/** Each assembly's TypeDef rows by full metadata name, made on first use and kept as long as the parsed assembly is. */
const byName = new WeakMap<AssemblyTypes, Map<string, number>>();

/** Deepest base-class chain followed (a garbled file could loop). */
const MAX_DEPTH = 32;

/**
 * The reference fields (own and inherited) of a type named as the dump names it, from the target's assemblies;
 * undefined when no assembly defines the type (or it is an array, whose references are elements).
 */
export function fieldResolver(assemblies: Iterable<AssemblyTypes>): (typeName: string) => readonly FieldOfType[] | undefined {
  const list = [...assemblies];
  const find = (metadataName: string): { a: AssemblyTypes; row: number } | undefined => {
    for (const a of list) {
      let names = byName.get(a);
      if (names === undefined) {
        names = new Map();
        for (let row = 1; row <= a.count; row++) {
          const n = fullTypeDefName(a, row);
          if (n !== undefined && !names.has(n)) names.set(n, row);
        }
        byName.set(a, names);
      }
      const row = names.get(metadataName);
      if (row !== undefined) return { a, row };
    }
    return undefined;
  };
  return (typeName) => {
    if (typeName.endsWith("]")) return undefined;
    const parsed = parseTypeName(typeName);
    if (parsed === undefined) return undefined;
    let at: { a: AssemblyTypes; row: number } | undefined = find(parsed.def);
    if (at === undefined) return undefined;
    let args = parsed.args;
    const out: FieldOfType[] = [];
    for (let depth = 0; at !== undefined && depth < MAX_DEPTH; depth++) {
      const a: AssemblyTypes = at.a;
      const row: number = at.row;
      if (fullTypeDefName(a, row) === "System.Object") break;
      for (const f of a.instanceFields(row)) {
        const sig = new Sig(f.sig);
        if (f.sig[0] !== 0x06) continue; // not a FIELD signature
        sig.byte();
        const type = sig.type(a, args, true);
        if (type !== undefined) out.push({ name: shownName(f.name), type });
      }
      const base: number = a.baseType(row);
      const tag = base & 3;
      const ref: number = base >>> 2;
      if (ref === 0) break;
      if (tag === 0) {
        at = { a, row: ref };
        args = [];
      } else if (tag === 1) {
        const name = a.typeRefName(ref);
        at = name === undefined ? undefined : find(name);
        args = [];
      } else {
        const spec = a.typeSpec(ref);
        const inst = spec === undefined ? undefined : new Sig(spec).instance(a, args);
        at = inst === undefined ? undefined : find(inst.def);
        args = inst?.args ?? [];
      }
    }
    return out;
  };
}

/** `<Name>k__BackingField` (an auto-property's field) as the property's name. */
function shownName(field: string): string {
  return /^<(.+)>k__BackingField$/.exec(field)?.[1] ?? field;
}

/**
 * A type name as the dump spells it, split into its definition's metadata name and its generic arguments in order:
 * `Outer<A>+Inner<B, C>` → `Outer\`1+Inner\`2`, [A, B, C]. Undefined when the brackets do not balance.
 */
export function parseTypeName(name: string): { def: string; args: string[] } | undefined {
  const segments: string[] = [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  let base = "";
  let argStart = -1;
  let own: string[] = [];
  for (let i = 0; i <= name.length; i++) {
    const c = name[i];
    if (c === "<") {
      if (depth === 0) {
        base = name.slice(start, i);
        argStart = i + 1;
        own = [];
      }
      depth++;
    } else if (c === ">") {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) own.push(name.slice(argStart, i).trim());
    } else if (c === "," && depth === 1) {
      own.push(name.slice(argStart, i).trim());
      argStart = i + 1;
    } else if ((c === "+" && depth === 0) || i === name.length) {
      if (argStart >= 0) {
        segments.push(`${base}\`${own.length}`);
        args.push(...own);
      } else segments.push(name.slice(start, i));
      start = i + 1;
      argStart = -1;
    }
  }
  return depth === 0 ? { def: segments.join("+"), args } : undefined;
}

/** `Outer\`1+Inner` with [A] → `Outer<A>+Inner`: each segment takes as many arguments as its arity says. */
function spell(def: string, args: readonly string[]): string | undefined {
  let next = 0;
  const parts = def.split("+").map((segment) => {
    const m = /^(.*)`(\d+)$/.exec(segment);
    if (m === null) return segment;
    const n = Number(m[2]);
    const own = args.slice(next, next + n);
    next += n;
    return `${m[1]}<${own.join(", ")}>`;
  });
  return next === args.length ? parts.join("+") : undefined;
}

const PRIMITIVES: Record<number, string> = {
  0x02: "System.Boolean",
  0x03: "System.Char",
  0x04: "System.SByte",
  0x05: "System.Byte",
  0x06: "System.Int16",
  0x07: "System.UInt16",
  0x08: "System.Int32",
  0x09: "System.UInt32",
  0x0a: "System.Int64",
  0x0b: "System.UInt64",
  0x0c: "System.Single",
  0x0d: "System.Double",
  0x0e: "System.String",
  0x16: "System.TypedReference",
  0x18: "System.IntPtr",
  0x19: "System.UIntPtr",
  0x1c: "System.Object",
};

/** A signature blob read from the front (ECMA-335 II.23.2): types spelt as the dump spells them. */
class Sig {
  private at = 0;

  constructor(private readonly b: Uint8Array) {}

  byte(): number {
    if (this.at >= this.b.length) throw new RangeError("signature too short");
    return this.b[this.at++]!;
  }

  /** A compressed unsigned integer (II.23.2). */
  uint(): number {
    const b = this.byte();
    if ((b & 0x80) === 0) return b;
    if ((b & 0xc0) === 0x80) return ((b & 0x3f) << 8) | this.byte();
    return (b & 0x1f) * 2 ** 24 + this.byte() * 2 ** 16 + this.byte() * 2 ** 8 + this.byte();
  }

  /** A TypeDefOrRef-encoded token's definition name in `a` (`System.Collections.Generic.List\`1`). */
  private defName(a: AssemblyTypes): string | undefined {
    const token = this.uint();
    const row = token >>> 2;
    if ((token & 3) === 0) return fullTypeDefName(a, row);
    if ((token & 3) === 1) return a.typeRefName(row);
    return undefined;
  }

  /** A GENERICINST (after its 0x15): the definition's name and its arguments, spelt. */
  private generic(a: AssemblyTypes, args: readonly string[]): { def: string; args: string[] } | undefined {
    this.byte(); // CLASS or VALUETYPE
    const def = this.defName(a);
    const n = this.uint();
    const own: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.type(a, args, false);
      if (t === undefined) return undefined;
      own.push(t);
    }
    return def === undefined ? undefined : { def, args: own };
  }

  /** A TypeSpec's generic instantiation (a base class such as `List<T>`): undefined when it is not one. */
  instance(a: AssemblyTypes, args: readonly string[]): { def: string; args: string[] } | undefined {
    try {
      return this.byte() === 0x15 ? this.generic(a, args) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The next type, spelt; `args` stand for the type parameters (VAR n). With `referenceOnly`, undefined for a type
   * whose values are not references (a primitive, a struct, a pointer); undefined also for what cannot be spelt.
   */
  type(a: AssemblyTypes, args: readonly string[], referenceOnly: boolean): string | undefined {
    try {
      for (;;) {
        const e = this.byte();
        if (e === 0x1f || e === 0x20) {
          this.uint(); // a custom modifier's type (volatile, …)
          continue;
        }
        const primitive = PRIMITIVES[e];
        if (primitive !== undefined) return referenceOnly && e !== 0x0e && e !== 0x1c ? undefined : primitive;
        switch (e) {
          case 0x11: {
            const name = this.defName(a);
            return referenceOnly || name === undefined ? undefined : name;
          }
          case 0x12:
            return this.defName(a);
          case 0x13:
            return args[this.uint()];
          case 0x15: {
            const kind = this.b[this.at];
            const g = this.generic(a, args);
            if (g === undefined || (referenceOnly && kind === 0x11)) return undefined;
            return spell(g.def, g.args);
          }
          case 0x1d: {
            const element = this.type(a, args, false);
            return element === undefined ? undefined : `${element}[]`;
          }
          case 0x14: {
            const element = this.type(a, args, false);
            const rank = this.uint();
            for (let n = this.uint(); n > 0; n--) this.uint();
            for (let n = this.uint(); n > 0; n--) this.uint();
            return element === undefined || rank < 1 ? undefined : `${element}[${",".repeat(rank - 1)}]`;
          }
          default:
            return undefined; // a pointer, a function pointer, a method's type parameter, void
        }
      }
    } catch {
      return undefined;
    }
  }
}
