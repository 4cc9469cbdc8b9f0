// What leakwatch can leave behind, as recorded in its state file (ledger.ts) before each thing comes to exist.
import { z } from "../util/zod.js";

const entrySchema = z.discriminatedUnion("kind", [
  // A raw dump file at this exact path (created by leakwatch, or a snapshot it caused and found); ino once known.
  z.object({ kind: z.literal("file"), path: z.string().min(1), ino: z.number().optional() }),
  // A file a target was asked to write into dir (a heap snapshot on a signal): the first new one of that process whose
  // name matches `names` (a regular expression: group 1 the writer's pid, group 2 its sequence number).
  z.object({
    kind: z.literal("requested"),
    dir: z.string().min(1),
    names: z.string().min(1),
    /** The target's pid in leakwatch's view, then as its own PID namespaces see it (a file name may use the innermost). */
    pids: z.array(z.number().int().positive()).min(1),
    startTime: z.number().optional(),
    /** The process's files that were there before the request (not ours). */
    before: z.array(z.string()),
    requestedAt: z.number(),
  }),
  // A target leakwatch launched: pid and start time, so that a reused pid is never mistaken for it.
  z.object({ kind: z.literal("process"), pid: z.number().int().positive(), startTime: z.number() }),
  // A memory cgroup leakwatch created for a launched target (--memory-limit).
  z.object({ kind: z.literal("cgroup"), dir: z.string().min(1) }),
]);

export type Leftover = z.infer<typeof entrySchema>;
export type LeftoverOf<K extends Leftover["kind"]> = Extract<Leftover, { kind: K }>;

/** The leakwatch process that wrote a state file: alive only while pid, start time, boot and namespace all match. */
const ownerSchema = z.object({
  pid: z.number().int().positive(),
  startTime: z.number(),
  bootId: z.string(),
  host: z.string(),
  pidNamespace: z.string(),
});
export type LedgerOwner = z.infer<typeof ownerSchema>;

export const stateFileSchema = z.object({ version: z.literal(1), owner: ownerSchema, entries: z.array(entrySchema) });
export type StateFile = z.infer<typeof stateFileSchema>;
