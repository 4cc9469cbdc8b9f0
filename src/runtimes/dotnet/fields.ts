// Instance field names for the .NET heap graph's references. The runtime's GCBulkEdge events say which object refers
// to which, never through which field (CoreCLR leaves ReferencingFieldID 0), so a path would read `(Runspace[]) →
// Runspace[]`. The target's assemblies say which fields each type declares, and of which type, and which base classes
// and interfaces each type has: where exactly one reference field of the referring object's type (own or inherited)
// can hold the referred object, that field names the reference (`_items → Runspace[]`); the rule itself, with fields
// declared as object, is the model's (heap-graph.ts fieldOf). Types are spelt as the dump spells them (SOS's way:
// `Dictionary<System.String, System.Object>+Entry[]`). Written by hand: no npm library reads ECMA-335 signatures.
import { type AssemblyTypes, fullTypeDefName } from "./metadata.js";

/** A reference field of a type: its name as a path shows it, and its declared type spelt as the dump spells types. */
export interface FieldOfType {
  readonly name: string;
  readonly type: string;
}

/** Each assembly's TypeDef rows by full metadata name, made on first use and kept as long as the parsed assembly is. */
const byName = new WeakMap<AssemblyTypes, Map<string, number>>();

/** Each assembly's TypeDef and TypeRef full names by row, spelt once (a type's name is asked for again and again). */
const defNames = new WeakMap<AssemblyTypes, (string | undefined)[]>();
const refNames = new WeakMap<AssemblyTypes, Map<number, string | undefined>>();

function defName(a: AssemblyTypes, row: number): string | undefined {
  let names = defNames.get(a);
  if (names === undefined) defNames.set(a, (names = []));
  if (!(row in names)) names[row] = fullTypeDefName(a, row);
  return names[row];
}

function refName(a: AssemblyTypes, row: number): string | undefined {
  let names = refNames.get(a);
  if (names === undefined) refNames.set(a, (names = new Map()));
  if (!names.has(row)) names.set(row, a.typeRefName(row));
  return names.get(row);
}

/** Deepest base-class chain followed (a garbled file could loop). */
const MAX_DEPTH = 32;

/** A TypeDef in one of the assemblies, with the generic arguments it is instantiated with. */
interface Instance {
  readonly a: AssemblyTypes;
  readonly row: number;
  readonly args: readonly string[];
}

/** Most supertypes listed for one type (a garbled file could claim thousands). */
const MAX_SUPERTYPES = 256;

/** What the target's assemblies say of a type named as the dump names it. */
export interface TypeResolver {
  /** Its reference fields, own and inherited; undefined when no assembly defines it (or it is an array). */
  fields(typeName: string): readonly FieldOfType[] | undefined;
  /** Its base classes (System.Object left out) and the interfaces it implements, spelt; [] when unknown. */
  supertypes(typeName: string): readonly string[];
}

export function typeResolver(assemblies: Iterable<AssemblyTypes>): TypeResolver {
  // One index over all the assemblies (the first to define a name wins, as the loader's order would), made on first
  // use from each assembly's own index (kept between dumps).
  let index: Map<string, { a: AssemblyTypes; row: number }> | undefined;
  const find = (metadataName: string): { a: AssemblyTypes; row: number } | undefined => {
    if (index === undefined) {
      index = new Map();
      for (const a of assemblies) {
        let names = byName.get(a);
        if (names === undefined) {
          names = new Map();
          for (let row = 1; row <= a.count; row++) {
            const n = defName(a, row);
            if (n !== undefined && !names.has(n)) names.set(n, row);
          }
          byName.set(a, names);
        }
        for (const [n, row] of names) if (!index.has(n)) index.set(n, { a, row });
      }
    }
    return index.get(metadataName);
  };
  /**
   * A TypeDefOrRef coded index in `at`'s assembly, spelt and instantiated in `at`'s context; `inst` undefined when no
   * assembly given defines it (its name is still known).
   */
  const resolve = (at: Instance, coded: number): { name: string; inst: Instance | undefined } | undefined => {
    const tag = coded & 3;
    const ref = coded >>> 2;
    if (ref === 0) return undefined;
    if (tag === 0) {
      const name = defName(at.a, ref);
      return name === undefined ? undefined : { name, inst: { a: at.a, row: ref, args: [] } };
    }
    if (tag === 1) {
      const name = refName(at.a, ref);
      const found = name === undefined ? undefined : find(name);
      return name === undefined ? undefined : { name, inst: found && { ...found, args: [] } };
    }
    const spec = at.a.typeSpec(ref);
    const g = spec === undefined ? undefined : new Sig(spec).instance(at.a, at.args);
    const name = g === undefined ? undefined : spell(g.def, g.args);
    if (g === undefined || name === undefined) return undefined;
    const found = find(g.def);
    return { name, inst: found && { ...found, args: g.args } };
  };
  /** The instance a type name stands for, and its base classes in order (System.Object left out). */
  const chain = (typeName: string): Instance[] | undefined => {
    if (typeName.endsWith("]")) return undefined;
    const parsed = parseTypeName(typeName);
    const first = parsed === undefined ? undefined : find(parsed.def);
    if (first === undefined) return undefined;
    const out: Instance[] = [];
    for (let at: Instance | undefined = { ...first, args: parsed!.args }; at !== undefined && out.length < MAX_DEPTH; ) {
      if (defName(at.a, at.row) === "System.Object") break;
      out.push(at);
      at = resolve(at, at.a.baseType(at.row))?.inst;
    }
    return out;
  };
  return {
    fields: (typeName) => {
      const levels = chain(typeName);
      if (levels === undefined) return undefined;
      const out: FieldOfType[] = [];
      for (const { a, row, args } of levels) {
        for (const f of a.instanceFields(row)) {
          if (f.sig[0] !== 0x06) continue; // not a FIELD signature
          const sig = new Sig(f.sig);
          sig.byte();
          const type = sig.type(a, args, true);
          if (type !== undefined) out.push({ name: shownName(f.name), type });
        }
      }
      return out;
    },
    supertypes: (typeName) => {
      const levels = chain(typeName);
      if (levels === undefined) return [];
      const out = new Set<string>();
      const queue: Instance[] = [...levels];
      for (const base of levels.slice(1)) {
        const name = spell(defName(base.a, base.row) ?? "", base.args);
        if (name !== undefined) out.add(name);
      }
      // The interfaces of the type, of its bases, and theirs in turn.
      for (let i = 0; i < queue.length && out.size < MAX_SUPERTYPES; i++) {
        const at = queue[i]!;
        for (const coded of at.a.interfaces(at.row)) {
          const iface = resolve(at, coded);
          if (iface === undefined || out.has(iface.name)) continue;
          out.add(iface.name);
          if (iface.inst !== undefined) queue.push(iface.inst);
        }
      }
      return [...out];
    },
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
    if ((token & 3) === 0) return defName(a, row);
    if ((token & 3) === 1) return refName(a, row);
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
