// Java class names as jmap/jcmd print them, made stable across runs (hidden-class addresses, lambda counters).
import { capTypeName } from "../../formats/normalise.js";

const JAVA_PRIMITIVES: Record<string, string> = {
  B: "byte",
  C: "char",
  D: "double",
  F: "float",
  I: "int",
  J: "long",
  S: "short",
  Z: "boolean",
};

/**
 * Normalises a Java class name as printed by jmap/jcmd (module suffix already removed by the caller).
 * Array classes are mapped to their readable source form (`[B` → `byte[]`, `[[Ljava.lang.String;` →
 * `java.lang.String[][]`) because that is what people search dashboards for; malformed descriptors are kept.
 */
export function normaliseJavaClassName(raw: string): string {
  let name = raw.trim();
  let dims = 0;
  while (name.charCodeAt(dims) === 0x5b /* [ */) dims++;
  if (dims > 0) {
    const elem = name.slice(dims);
    let base: string | undefined;
    if (elem.length === 1) base = JAVA_PRIMITIVES[elem];
    else if (elem.startsWith("L") && elem.endsWith(";") && elem.length > 2) base = elem.slice(1, -1);
    if (base !== undefined) name = base + "[]".repeat(dims);
  }
  return capTypeName(stripJavaRunSpecific(name));
}

/**
 * Removes the parts of hidden/generated class names that change from run to run:
 * - hidden-class address or JDK 8 identity hash: `Foo$$Lambda$9/0x00007f4b4c002c00`, `Foo$$Lambda$1/471910020`
 * - the lambda counter: `Foo$$Lambda$9` → `Foo$$Lambda` (JDK 21 already prints `Foo$$Lambda/0x…`)
 * - reflection accessors and proxies numbered in creation order (`GeneratedMethodAccessor12`, `$Proxy7`,
 *   `jdk.proxy2`), which otherwise make a new series for the same code on every restart.
 */
export function stripJavaRunSpecific(name: string): string {
  // Cheap substring checks first: most names need none of the regexes (histograms can have 1 M rows).
  // The common shapes (`Foo$$Lambda$9/0x…`, `LambdaForm$MH/0x…`) are cut with slices; the regexes handle the rest
  // (arrays of hidden classes, several suffixes).
  let n = name;
  const slash = n.indexOf("/");
  if (slash >= 0) {
    if (slash === n.lastIndexOf("/") && isAddressOrHash(n, slash + 1)) n = n.slice(0, slash);
    else n = n.replace(/\/(?:0x[0-9a-fA-F]+|\d+)(?=\[|;|$)/g, "");
  }
  const lambda = n.indexOf("$$Lambda$");
  if (lambda >= 0) {
    let i = lambda + 9;
    while (i < n.length && isDigitCode(n.charCodeAt(i))) i++;
    if (i === n.length && i > lambda + 9) n = n.slice(0, lambda + 8);
    else n = n.replace(/\$\$Lambda\$\d+/g, "$$$$Lambda");
  }
  if (n.includes("Accessor")) n = n.replace(/\b(Generated(?:Serialization)?(?:Method|Constructor)Accessor)\d+\b/g, "$1");
  if (n.includes("roxy")) n = n.replace(/\$Proxy\d+\b/g, "$$Proxy").replace(/\bjdk\.proxy\d+\./g, "jdk.proxy.");
  return n;
}

/** True when name[from..] is `0x` + hex digits or decimal digits, up to the end. */
function isAddressOrHash(name: string, from: number): boolean {
  let i = from;
  const hex = name.charCodeAt(i) === 48 && name.charCodeAt(i + 1) === 120; // "0x"
  if (hex) i += 2;
  const start = i;
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isDigitCode(c) || (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))))) return false;
  }
  return i > start;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}
