// Instance field names from the target's assemblies (src/runtimes/dotnet/fields.ts), on the recorded build of the
// C# test program (test/fixtures/dotnet/shapes-LeakTarget.dll): own fields with their declared types spelt as the dump
// spells types, generic parameters replaced by the instance's arguments, value-typed fields left out; and a heap
// graph's references named by them only where the field is the one of its type (src/model/heap-graph.ts edgeLabel).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { edgeLabel, type HeapGraph } from "../../../../src/model/heap-graph.js";
import { fieldResolver, parseTypeName } from "../../../../src/runtimes/dotnet/fields.js";
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
    const fields = fieldResolver([await readAssemblyTypes(DLL)]);
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
    const fields = fieldResolver([await readAssemblyTypes(DLL)]);
    expect(fields(`${NS}Pair<${NS}Outer+Inner, System.Collections.Generic.List<System.Int32>>`)).toEqual([
      { name: "Key", type: `${NS}Outer+Inner` },
      { name: "Value", type: "System.Collections.Generic.List<System.Int32>" },
    ]);
    expect(fields(`${NS}Holder<System.String>+Slot`)).toEqual([{ name: "Value", type: "System.String" }]);
    expect(fields(`${NS}Outer+Node<System.String>`)).toEqual([{ name: "Value", type: "System.String" }]);
  });

  it("knows nothing of types no assembly given defines, nor of arrays", async () => {
    const fields = fieldResolver([await readAssemblyTypes(DLL)]);
    expect(fields("System.Collections.Generic.List<System.String>")).toBeUndefined(); // System.Private.CoreLib's
    expect(fields(`${NS}LeakySession[]`)).toBeUndefined();
    expect(fieldResolver([])(`${NS}LeakySession`)).toBeUndefined();
  });
});

describe("references named by their field", () => {
  /** An owner (type 0) with two references: one to a Buffer (1), one each to two Strings (2). */
  function graph(fields: { start: number[]; type: number[]; name: number[] } | undefined): HeapGraph {
    const typeNames = ["Owner", "Buffer", "String"];
    const names = ["[]", ...typeNames.map((t) => `(${t})`), "data", "first", "last"];
    return {
      nodeCount: 4,
      nodeType: Uint16Array.of(0, 1, 2, 2),
      nodeSize: Uint32Array.of(24, 100, 30, 30),
      edgeStart: Uint32Array.of(0, 3, 3, 3, 3),
      edgeTarget: Uint32Array.of(1, 2, 3),
      edgeName: {
        elementTypes: new Uint8Array(3),
        element: 0,
        field: 1,
        special: new Uint32Array(0),
        specialName: 0,
        ...(fields ? { fields: { start: Uint32Array.from(fields.start), type: Uint32Array.from(fields.type), name: Uint32Array.from(fields.name) } } : {}),
      },
      roots: Uint32Array.of(0),
      rootName: Int32Array.of(0),
      typeNames,
      names,
    };
  }

  it("names a reference by the one field of its target's type; two fields of that type leave the type", () => {
    // Owner's fields: data (Buffer), first and last (String).
    const g = graph({ start: [0, 3, 3, 3], type: [1, 2, 2], name: [4, 5, 6] });
    expect(edgeLabel(g, 0)).toBe("data");
    expect(edgeLabel(g, 1)).toBe("(String)");
    expect(edgeLabel(g, 2)).toBe("(String)");
    // Without field data (a saved dump read without the target's assemblies): the target's type.
    const bare = graph(undefined);
    expect([0, 1, 2].map((e) => edgeLabel(bare, e))).toEqual(["(Buffer)", "(String)", "(String)"]);
  });
});
