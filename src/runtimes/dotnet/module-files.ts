// Which assembly file each module of a heap dump is, so that nested types get their declaring types (metadata.ts).
// BulkType names a type's module by an address only; the files are the assemblies the target has mapped
// (/proc/PID/maps, read through /proc/PID/root so a container's files are found). A module is matched to the file
// whose TypeDef table agrees with every type the dump saw from that module (same row, same name): exact for any
// module with a namespaced type on the heap, and a module that matches no file, or several that disagree, keeps the
// short names. Parsed files are cached by identity (device, inode, size, mtime): only the first dump of a process
// reads them.
import { stat } from "node:fs/promises";
import type { ProcFs } from "../../procfs/process.js";
import { type AssemblyTypes, fullTypeDefName, readAssemblyTypes } from "./metadata.js";

/** A type the dump saw: its module, TypeDef row, and its definition's name as the runtime spelt it. */
export interface TypeDefSighting {
  module: number;
  row: number;
  /** `Ns.Name\`1` for a type the runtime named fully, `Inner` for one it named by its own name only. */
  def: string;
}

/** Most assembly files considered in one process (a process maps a few hundred at most). */
const MAX_FILES = 4096;
/** Parsed files kept between dumps. */
const MAX_CACHED = 2048;

/** Parsed assembly files by identity; null for a file that is not a readable .NET assembly. */
export class AssemblyCache {
  private readonly files = new Map<string, AssemblyTypes | null>();

  async get(file: string): Promise<AssemblyTypes | undefined> {
    let key: string;
    try {
      const st = await stat(file);
      if (!st.isFile()) return undefined;
      key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    let types = this.files.get(key);
    if (types === undefined) {
      try {
        types = await readAssemblyTypes(file);
      } catch {
        types = null;
      }
      if (this.files.size >= MAX_CACHED) this.files.clear();
      this.files.set(key, types);
    }
    return types ?? undefined;
  }
}

/** True when a name the runtime gave could be a nested type's own name (no namespace, no declaring type). */
export function maybeNested(def: string): boolean {
  return !def.includes(".") && !def.includes("+");
}

/** The assembly files mapped by a process (paths as it sees them), from /proc/PID/maps. */
export function mappedAssemblies(maps: string): string[] {
  const out = new Set<string>();
  for (const line of maps.split("\n")) {
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/.*)$/.exec(line);
    if (m === null) continue;
    const file = m[1]!;
    if (/\.(dll|exe)$/i.test(file)) out.add(file);
    if (out.size >= MAX_FILES) break;
  }
  return [...out];
}

export interface ModuleMatch {
  /** The assembly of each module that has a type which may be nested. */
  modules: Map<number, AssemblyTypes>;
  /** Modules with such a type that no file (or files that disagree) matched: their nested types keep short names. */
  unmatched: number;
  /**
   * Every readable assembly the process has mapped, matched or not: a static field is looked up in all of them (its
   * declaring type's module need not have an object on the heap, e.g. a static class's), and is named only when one
   * type among them all declares a static field of that name.
   */
  assemblies: readonly AssemblyTypes[];
}

function agrees(types: AssemblyTypes, s: TypeDefSighting): boolean {
  if (s.row < 1 || s.row > types.count) return false;
  return maybeNested(s.def) ? types.name(s.row) === s.def : fullTypeDefName(types, s.row) === s.def;
}

/**
 * The parsed assemblies among `files` (readable paths, already through /proc/PID/root), each once (a file mapped
 * under two paths is one); the others are left out.
 */
export async function loadAssemblies(files: readonly string[], cache: AssemblyCache): Promise<AssemblyTypes[]> {
  const out = new Set<AssemblyTypes>();
  for (const f of files) {
    const a = await cache.get(f);
    if (a !== undefined) out.add(a);
  }
  return [...out];
}

/** Matches the modules of `sightings` that have a type which may be nested to one of `assemblies`. */
export function matchModules(sightings: Iterable<TypeDefSighting>, assemblies: readonly AssemblyTypes[]): ModuleMatch {
  const byModule = new Map<number, TypeDefSighting[]>();
  const needed = new Set<number>();
  for (const s of sightings) {
    let list = byModule.get(s.module);
    if (list === undefined) byModule.set(s.module, (list = []));
    list.push(s);
    if (maybeNested(s.def)) needed.add(s.module);
  }
  const modules = new Map<number, AssemblyTypes>();
  if (needed.size === 0) return { modules, unmatched: 0, assemblies };
  let unmatched = 0;
  for (const module of needed) {
    const seen = byModule.get(module)!;
    const candidates = assemblies.filter((a) => seen.every((s) => agrees(a, s)));
    const first = candidates[0];
    // Several files can agree (the same assembly under two paths): fine when they name the nested types alike.
    const same =
      first !== undefined &&
      candidates.every((c) => c === first || seen.every((s) => !maybeNested(s.def) || fullTypeDefName(c, s.row) === fullTypeDefName(first, s.row)));
    if (same) modules.set(module, first);
    else unmatched++;
  }
  return { modules, unmatched, assemblies };
}

/**
 * matchModules over the assemblies a live process has mapped; no match at all when its maps cannot be read.
 * `loadAll`: load the assemblies even when no type may be nested (the heap graph names static fields and
 * references from all of them).
 */
export async function matchProcessModules(
  proc: ProcFs,
  pid: number,
  sightings: Iterable<TypeDefSighting>,
  cache: AssemblyCache,
  loadAll = false,
): Promise<ModuleMatch> {
  const seen = [...sightings];
  if (!loadAll && !seen.some((s) => maybeNested(s.def))) return { modules: new Map(), unmatched: 0, assemblies: [] };
  let files: string[];
  try {
    files = mappedAssemblies(await proc.maps(pid)).map((f) => proc.viaRoot(pid, f));
  } catch {
    files = [];
  }
  return matchModules(seen, await loadAssemblies(files, cache));
}
