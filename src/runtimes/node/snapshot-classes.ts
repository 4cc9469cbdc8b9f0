// How V8 heap-snapshot node types map to Summary rows, like DevTools' Summary view: objects and native
// nodes are grouped by their (constructor) name, everything else in one bucket per kind.

/** Node types whose nodes are grouped by name. */
export const NAMED_NODE_TYPES: ReadonlySet<string> = new Set(["object", "native"]);

const BUCKETS: Record<string, string> = {
  string: "(string)",
  "concatenated string": "(string)",
  "sliced string": "(string)",
  array: "(array)",
  closure: "(closure)",
  code: "(compiled code)",
  hidden: "(system)",
  synthetic: "(system)",
  "object shape": "(system)",
  regexp: "(regexp)",
  number: "(number)",
  "heap number": "(number)",
  bigint: "(bigint)",
  symbol: "(symbol)",
};

/** Bucket row name for a non-named node type; unknown (future) types keep their own bucket. */
export function bucketForNodeType(type: string): string {
  return BUCKETS[type] ?? `(${type})`;
}
