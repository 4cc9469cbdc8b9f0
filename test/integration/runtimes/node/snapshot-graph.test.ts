// The heap graph of a real V8 snapshot (written by a real Node program), read by the streaming parser, through the
// retention analysis and `leakwatch paths`: counts, retained sizes and paths must agree with what the program holds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import { pathTo, shortestPaths } from "../../../../src/analysis/retention/paths.js";
import { dominatorTree, retainedSizes, typeRetention } from "../../../../src/analysis/retention/retained.js";
import { readV8SnapshotGraph } from "../../../../src/runtimes/node/snapshot.js";
import { leakwatch } from "../../../helpers/cli.js";

const SESSIONS = 3000;
const PROGRAM = `
class Session { constructor(i) { this.buf = Buffer.alloc(2048); this.name = "session-" + i; } }
class Other { constructor() { this.list = []; } }
const sessions = new Map();
for (let i = 0; i < ${SESSIONS}; i++) sessions.set(i, new Session(i));
const other = new Other();
globalThis.keep = { other, weak: new WeakRef(other) };
// In a later job: within the one that made it, a WeakRef's target is held strongly (KeepDuringJob).
setTimeout(() => require("v8").writeHeapSnapshot(process.argv[1]), 10);
`;

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lw-graph-"));
  file = path.join(dir, "leaky.heapsnapshot");
  execFileSync(process.execPath, ["-e", PROGRAM, file], { stdio: "ignore" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the heap graph of a V8 snapshot", () => {
  it("has every node of the summary, the program's sessions, and their buffers retained by them", async () => {
    const { summary, graph } = await readV8SnapshotGraph(file);
    expect(graph.nodeCount).toBe(summary.totalObjects);
    const t = graph.typeNames.indexOf("Session");
    expect(t).toBeGreaterThanOrEqual(0);
    // The graph's types are the summary's rows: same names, same counts.
    const counts = new Map<number, number>();
    for (let i = 0; i < graph.nodeCount; i++) counts.set(graph.nodeType[i]!, (counts.get(graph.nodeType[i]!) ?? 0) + 1);
    for (const row of summary.types) expect(counts.get(graph.typeNames.indexOf(row.type)), row.type).toBe(row.count);
    expect(graph.nodeType).toBeInstanceOf(Uint16Array); // a few thousand types: 2 bytes an object

    const dom = dominators(graph);
    const retained = retainedSizes(graph, dom);
    const types = typeRetention(graph, dominatorTree(graph, dom));
    expect(types.reachable[t]).toBe(SESSIONS);
    // Each session alone holds its 2 KiB buffer's backing store: the type retains at least all of them.
    expect(types.bytes[t]).toBeGreaterThan(SESSIONS * 2048);
    // The whole heap is retained by the virtual root.
    expect(retained[graph.nodeCount]).toBeGreaterThan(types.bytes[t]!);
  });

  it("finds a path from the GC roots to a session through the Map, and one leak rooted at Session", async () => {
    const { graph } = await readV8SnapshotGraph(file);
    const sp = shortestPaths(graph);
    const t = graph.typeNames.indexOf("Session");
    let node = -1;
    for (let i = 0; i < graph.nodeCount && node < 0; i++) if (graph.nodeType[i] === t) node = i;
    const path = pathTo(graph, sp, node, 1000)!;
    expect(path[0]!.edge).toMatch(/^\(GC roots\) \/ /); // the root group: V8's synthetic nodes are not steps
    expect(path.at(-1)!.type).toBe("Session");
    const grow = new Set(["Session", "Buffer", "ArrayBuffer", "system / JSArrayBufferData"].map((n) => graph.typeNames.indexOf(n)).filter((i) => i >= 0));
    const leaks = leaksIn(graph, grow);
    expect(leaks.map((l) => l.root)).toEqual(["Session"]);
    expect(leaks[0]!.members.map((m) => m.type)).toContain("Buffer");
  });

  it("leaves weak edges out: the WeakRef's edge to its target is in the snapshot, not in the graph", async () => {
    // The raw snapshot (small here): a weak edge from the WeakRef to the Other object exists.
    const raw = JSON.parse(readFileSync(file, "utf8")) as {
      snapshot: { meta: { node_fields: string[]; edge_fields: string[]; edge_types: [string[]] } };
      nodes: number[];
      edges: number[];
      strings: string[];
    };
    const nf = raw.snapshot.meta.node_fields.length;
    const ef = raw.snapshot.meta.edge_fields.length;
    const weakKind = raw.snapshot.meta.edge_types[0].indexOf("weak");
    const nameOf = (node: number) => raw.strings[raw.nodes[node * nf + 1]!];
    let weakToOther = 0;
    for (let node = 0, e = 0; node < raw.nodes.length / nf; node++) {
      const count = raw.nodes[node * nf + raw.snapshot.meta.node_fields.indexOf("edge_count")]!;
      for (let k = 0; k < count; k++, e += ef) {
        if (raw.edges[e] === weakKind && nameOf(node) === "WeakRef" && nameOf(raw.edges[e + 2]! / nf) === "Other") weakToOther++;
      }
    }
    expect(weakToOther).toBe(1);
    const { graph } = await readV8SnapshotGraph(file);
    const weakRef = graph.typeNames.indexOf("WeakRef");
    const other = graph.typeNames.indexOf("Other");
    let edges = 0;
    for (let v = 0; v < graph.nodeCount; v++) {
      if (graph.nodeType[v] !== weakRef) continue;
      for (let e = graph.edgeStart[v]!; e < graph.edgeStart[v + 1]!; e++) if (graph.nodeType[graph.edgeTarget[e]!] === other) edges++;
    }
    expect(edges).toBe(0);
  });

  it("fails with one clear reason on edges that do not fit the nodes", async () => {
    const text = readFileSync(file, "utf8");
    const bad = path.join(dir, "bad.heapsnapshot");
    // An edge pointing past the last node.
    writeFileSync(
      bad,
      text.replace(/"edges":\[(\d+),(\d+),(\d+)/, (_m, a, b) => `"edges":[${a},${b},999999999`),
    );
    await expect(readV8SnapshotGraph(bad)).rejects.toThrow(/edge to 999999999, not a node/);
    const cut = path.join(dir, "cut.heapsnapshot");
    writeFileSync(cut, text.slice(0, text.indexOf('"strings"') - 200));
    await expect(readV8SnapshotGraph(cut)).rejects.toThrow(/truncated/);
  });
});

describe("leakwatch paths", () => {
  it("lists the types that retain the most, and the paths to a type's largest instances", async () => {
    const top = await leakwatch(["paths", file, "--top", "50", "--json"]);
    expect(top.exitCode).toBe(0);
    const t = JSON.parse(top.stdout) as { types: { type: string; retainedBytes: number; instances: number }[] };
    for (let i = 1; i < t.types.length; i++) expect(t.types[i - 1]!.retainedBytes).toBeGreaterThanOrEqual(t.types[i]!.retainedBytes);
    expect(t.types.find((r) => r.type === "Session")?.instances).toBe(SESSIONS);

    const r = await leakwatch(["paths", file, "--type", "Session", "--paths", "2"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Session: ${SESSIONS.toLocaleString("en-US")} reachable objects`));
    expect(r.stdout.match(/^#\d: retains [\d,]+ bytes$/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/→ Session$/m);
  });

  it.each([
    [["paths"], 2, /paths takes one FILE/],
    [["paths", "x.txt"], 2, /paths reads heap dumps with references \((?=[^)]*\.heapsnapshot)(?=[^)]*\.hprof)[^)]*\); x\.txt is not one/],
    [["paths", "FILE", "--type", "Nope"], 2, /--type: no type named "Nope"/],
    [["paths", "FILE", "--paths", "0"], 2, /--paths: expected a whole number/],
  ])("%j exits %i with one line", async (args, code, message) => {
    const r = await leakwatch(args.map((a) => (a === "FILE" ? file : a)));
    expect(r.exitCode).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe("a V8 snapshot with more types than 16 bits hold", () => {
  it("widens the node types once the 65 537th type appears, and every count still matches the summary", async () => {
    // Written here in V8's layout (a real program needs ~10 s to make 70 000 named classes): the synthetic root holds
    // one object of each kind by an element edge.
    const kinds = 70_000;
    const meta = {
      node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
      node_types: [
        ["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic"],
        "string",
        "number",
        "number",
        "number",
        "number",
        "number",
      ],
      edge_fields: ["type", "name_or_index", "to_node"],
      edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "string_or_number", "node"],
    };
    const nodes = [`9,0,1,0,${kinds},0,0`];
    const edges: string[] = [];
    for (let i = 1; i <= kinds; i++) {
      nodes.push(`3,${i},${i * 2 + 1},16,0,0,0`);
      edges.push(`1,${i - 1},${i * 7}`);
    }
    const strings = ["", ...Array.from({ length: kinds }, (_, i) => `Kind${i}`)];
    const many = path.join(dir, "many-types.heapsnapshot");
    writeFileSync(
      many,
      `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${nodes.length},"edge_count":${edges.length},"trace_function_count":0},` +
        `"nodes":[${nodes.join(",")}],"edges":[${edges.join(",")}],"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[],` +
        `"strings":${JSON.stringify(strings)}}`,
    );
    const { summary, graph } = await readV8SnapshotGraph(many);
    rmSync(many);
    expect(graph.typeNames.length).toBeGreaterThan(0x10000);
    expect(graph.nodeType).toBeInstanceOf(Uint32Array);
    const counts = new Map<string, number>();
    for (let i = 0; i < graph.nodeCount; i++) {
      const name = graph.typeNames[graph.nodeType[i]!]!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(counts).toEqual(new Map(summary.types.map((r) => [r.type, r.count])));
    const last = graph.typeNames.indexOf(`Kind${kinds - 1}`);
    expect(last).toBeGreaterThan(0xffff);
    expect(typeRetention(graph, dominatorTree(graph, dominators(graph))).reachable[last]).toBe(1);
  });
});
