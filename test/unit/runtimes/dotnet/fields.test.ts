// Instance field names from the target's assemblies (src/runtimes/dotnet/fields.ts), on the recorded build of the
// C# test program (test/fixtures/dotnet/shapes-LeakTarget.dll): own fields with their declared types spelt as the dump
// spells types, generic parameters replaced by the instance's arguments, value-typed fields left out; and a heap
// graph's references named by them only where the field is the one of its type (src/model/heap-graph.ts edgeLabel).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ANY_FIELD_TYPE, edgeLabel, type HeapGraph } from "../../../../src/model/heap-graph.js";
import { parseTypeName, typeResolver } from "../../../../src/runtimes/dotnet/fields.js";
import { readAssemblyTypes } from "../../../../src/runtimes/dotnet/metadata.js";

const DLL = path.resolve(__dirname, "../../../fixtures/dotnet/shapes-LeakTarget.dll");
const NS = "Leakwatch.Targets.";

describe("type names split into definition and arguments", () => {
  it("gives each segment its arity and the arguments in order, nested generics kept whole", () => {
    expect(parseTypeName("System.String")).toEqual({ def: "System.String", args: [] });
    expect(parseTypeName("System.Collections.Generic.List<System.String>")).toEqual({ def: "System.Collections.Generic.List`1", args: ["System.String"] });
    expect(parseTypeName("A.Outer<X, B.Y<Z, W>>+Inner<V>")).toEqual({ def: "A.Outer`2+Inner`1", args: ["X", "B.Y<Z, W>", "V"] });
    expect(parseTypeName("System.Collections.Generic.Dictionary<System.String, System.Object>+Entry")).toEqual({
      def: "System.Collections.Generic.Dictionary`2+Entry",
      args: ["System.String", "System.Object"],
    });
    expect(parseTypeName("A<B")).toBeUndefined();
    expect(parseTypeName("A>B")).toBeUndefined();
  });
});

describe("reference fields from the assembly's metadata", () => {
  it("lists a type's reference fields with their declared types, value-typed ones left out", async () => {
    const { fields } = typeResolver([await readAssemblyTypes(DLL)]);
    // LeakySession: Guid Id (a struct) is no reference.
    expect(fields(`${NS}LeakySession`)).toEqual([
      { name: "Buffer", type: "System.Byte[]" },
      { name: "History", type: "System.Collections.Generic.List<System.String>" },
      { name: "Options", type: `${NS}SessionOptions` },
    ]);
    // int OpenTimeoutMs is no reference.
    expect(fields(`${NS}SessionOptions`)).toEqual([{ name: "Culture", type: "System.String" }]);
  });

  it("spells generic parameters as the instance's arguments, a nested type's too", async () => {
    const { fields } = typeResolver([await readAssemblyTypes(DLL)]);
    expect(fields(`${NS}Pair<${NS}Outer+Inner, System.Collections.Generic.List<System.Int32>>`)).toEqual([
      { name: "Key", type: `${NS}Outer+Inner` },
      { name: "Value", type: "System.Collections.Generic.List<System.Int32>" },
    ]);
    expect(fields(`${NS}Holder<System.String>+Slot`)).toEqual([{ name: "Value", type: "System.String" }]);
    expect(fields(`${NS}Outer+Node<System.String>`)).toEqual([{ name: "Value", type: "System.String" }]);
  });

  it("lists a type's interfaces, by name also where their assembly is not among those given", async () => {
    const types = typeResolver([await readAssemblyTypes(DLL)]);
    expect(types.supertypes(`${NS}TransientSession`)).toEqual(["System.IDisposable"]);
    expect(types.supertypes(`${NS}LeakySession`)).toEqual([]);
    expect(types.supertypes("No.Such.Type")).toEqual([]);
  });

  it("knows nothing of types no assembly given defines, nor of arrays", async () => {
    const { fields } = typeResolver([await readAssemblyTypes(DLL)]);
    expect(fields("System.Collections.Generic.List<System.String>")).toBeUndefined(); // System.Private.CoreLib's
    expect(fields(`${NS}LeakySession[]`)).toBeUndefined();
    expect(typeResolver([]).fields(`${NS}LeakySession`)).toBeUndefined();
  });
});

describe("references named by their field", () => {
  const TYPES = ["Owner", "Buffer", "String", "System.Object"];
  /**
   * An Owner (node 0) referring to one object of each type in `refs` (types: 1 Buffer, 2 String, 3 System.Object),
   * Owner's fields given as [type index or ANY_FIELD_TYPE, name].
   */
  function graph(refs: number[], fields: [number, string][] | undefined): HeapGraph {
    const names = ["[]", ...TYPES.map((t) => `(${t})`)];
    const n = refs.length + 1;
    const start = new Uint32Array(TYPES.length + 1).fill(fields?.length ?? 0);
    start[0] = 0;
    return {
      nodeCount: n,
      nodeType: Uint16Array.of(0, ...refs),
      nodeSize: new Uint32Array(n).fill(24),
      edgeStart: Uint32Array.from({ length: n + 1 }, (_, i) => (i === 0 ? 0 : refs.length)),
      edgeTarget: Uint32Array.from(refs, (_, i) => i + 1),
      edgeName: {
        elementTypes: new Uint8Array(TYPES.length),
        element: 0,
        field: 1,
        special: new Uint32Array(0),
        specialName: 0,
        ...(fields
          ? {
              fields: {
                start,
                type: Uint32Array.from(fields, (f) => f[0]),
                name: Uint32Array.from(fields, (f) => names.push(f[1]) - 1),
              },
            }
          : {}),
      },
      roots: Uint32Array.of(0),
      rootName: Int32Array.of(0),
      typeNames: TYPES,
      names,
    };
  }
  const labels = (g: HeapGraph) => Array.from(g.edgeTarget, (_, e) => edgeLabel(g, e));

  it("names a reference by the one field that can hold it; two such fields, or two references of the type, leave the type", () => {
    expect(
      labels(
        graph(
          [1, 2],
          [
            [1, "data"],
            [2, "text"],
          ],
        ),
      ),
    ).toEqual(["data", "text"]);
    expect(
      labels(
        graph(
          [1, 2, 2],
          [
            [1, "data"],
            [2, "first"],
            [2, "last"],
          ],
        ),
      ),
    ).toEqual(["data", "(String)", "(String)"]);
    // One String field, two Strings referred to: one of them comes through what no field says (a struct's field).
    expect(labels(graph([2, 2], [[2, "text"]]))).toEqual(["(String)", "(String)"]);
    // Without field data (a saved dump read without the target's assemblies): the target's type.
    expect(labels(graph([1, 2], undefined))).toEqual(["(Buffer)", "(String)"]);
  });

  it("a field declared as object can hold anything: it keeps a name only where what it holds is told apart", () => {
    // A lock object: the System.Object can only be in `sync`, so the Buffer is in `data`.
    expect(
      labels(
        graph(
          [1, 3],
          [
            [1, "data"],
            [ANY_FIELD_TYPE, "sync"],
          ],
        ),
      ),
    ).toEqual(["data", "sync"]);
    // Nothing else for `value` to hold: the Buffer may be in `data` or in `value`.
    expect(
      labels(
        graph(
          [1],
          [
            [1, "data"],
            [ANY_FIELD_TYPE, "value"],
          ],
        ),
      ),
    ).toEqual(["(Buffer)"]);
    // Only `value` can hold a String.
    expect(
      labels(
        graph(
          [1, 2],
          [
            [1, "data"],
            [ANY_FIELD_TYPE, "value"],
          ],
        ),
      ),
    ).toEqual(["data", "value"]);
    // Two object fields and one thing for them: which one holds it cannot be told.
    expect(
      labels(
        graph(
          [3],
          [
            [ANY_FIELD_TYPE, "a"],
            [ANY_FIELD_TYPE, "b"],
          ],
        ),
      ),
    ).toEqual(["(System.Object)"]);
  });
});
