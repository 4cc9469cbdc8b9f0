// The validated configuration. Sizes and durations accept numbers (bytes, seconds) or strings ("300m", "30s").
import { z } from "../util/zod.js";
import cron from "node-cron";
import os from "node:os";
import path from "node:path";
import { parseSize } from "../util/units.js";
import { LOAD_FIELDS, durationSeconds, loadIssues } from "./load-options.js";
import { HEAP_SOURCE_NAMES } from "../sources/index.js";
import { DEFAULT_MAX_DUMP_BYTES, DEFAULT_MAX_DUMP_TYPES } from "../formats/limits.js";

function defaultDataDir(): string {
  const state = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(state, "leakwatch");
}

const size = (what = "a size like 300m, 1.5g or a number of bytes") =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = parseSize(v);
    if (n === undefined) {
      ctx.addIssue({ code: "custom", message: `expected ${what}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

/** Like size() but 0 is allowed (meaning "off"). */
const sizeOrZero = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (v === 0 || v === "0") return 0;
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a size like 1g or 0, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

export const duration = (min = 0) => durationSeconds(min, "30s, 5m or 1h");

const regex = z.string().transform((v, ctx) => {
  if (v === "") {
    // An empty pattern matches every process: the oldest one on the machine would be watched (and dumped).
    ctx.addIssue({ code: "custom", message: "expected a regular expression that names the process, got an empty one" });
    return z.NEVER;
  }
  try {
    return new RegExp(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const pid = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a positive process id, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

const bool = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])])
  .transform((v) => (typeof v === "boolean" ? v : ["true", "1", "yes"].includes(v)));

const cronExpr = z.string().superRefine((v, ctx) => {
  if (!cron.validate(v)) ctx.addIssue({ code: "custom", message: `expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(v)}` });
});

const fraction = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) {
    ctx.addIssue({ code: "custom", message: `expected a fraction between 0 and 1 such as 0.8, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

const count = (min: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) {
      ctx.addIssue({ code: "custom", message: `expected a whole number ≥ ${min}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

/** A command as words: a YAML list, or a string split on whitespace (never handed to a shell). */
const words = z.union([z.array(z.string()).min(1), z.string()]).transform((v, ctx) => {
  const list = Array.isArray(v) ? v : v.trim().split(/\s+/).filter(Boolean);
  if (list.length === 0) {
    ctx.addIssue({ code: "custom", message: "expected a command" });
    return z.NEVER;
  }
  return list;
});

// Label values end up in every series: keep target names short and Prometheus-friendly.
const targetName = z
  .string()
  // It also names the target's folders under --data-dir: "." and ".." would write outside them.
  .regex(/^(?!\.{1,2}$)[A-Za-z0-9_.:-]{1,64}$/, "expected 1-64 characters of letters, digits, _ . : - (and not . or ..)");

export const targetSchema = z
  .object({
    name: targetName.optional(),
    pid: pid.optional(),
    match: regex.optional(),
    // A ".." would leave the cgroup mount: the path must name a cgroup below it.
    cgroup: z
      .string()
      .min(1)
      .refine((v) => !v.split("/").includes(".."), "expected a cgroup path without .. segments")
      .optional(),
    command: z.array(z.string()).min(1, "expected a command and its arguments").optional(),
    memoryLimit: size().optional(),
    restart: bool.default(false),
    heapSource: z.enum(["auto", ...HEAP_SOURCE_NAMES, "none"] as [string, ...string[]]).default("auto"),
    dumpSchedule: cronExpr.default("*/5 * * * *"),
    dumpEvery: duration(0.5).optional(),
    dumpTimeout: duration(1).default(120),
    dumpAt: fraction.optional(),
    heapCommand: words.optional(),
    heapDir: z.string().min(1).optional(),
    openInspector: bool.default(false),
    retentionInterval: duration(1).default(600),
    keepDumps: count(0).default(0),
    maxTypes: count(1).default(100),
    maxDumpBytes: size().default(DEFAULT_MAX_DUMP_BYTES),
    maxDumpTypes: count(1).default(DEFAULT_MAX_DUMP_TYPES),
    retentionAnalysis: z.enum(["suspects", "always", "never"]).default("suspects"),
    verdictWindow: count(3).default(12),
    minGrowth: size().default(1024 * 1024),
    minGrowthObjects: count(1).default(10_000),
    ...LOAD_FIELDS,
  })
  .strict()
  .superRefine((t, ctx) => {
    const selectors = (["pid", "match", "cgroup", "command"] as const).filter((k) => t[k] !== undefined);
    if (selectors.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          selectors.length === 0
            ? "expected one of pid, match, cgroup or command"
            : `expected only one of pid, match, cgroup or command, got ${selectors.join(" and ")}`,
      });
    }
    if (t.memoryLimit !== undefined && t.command === undefined) {
      ctx.addIssue({ code: "custom", path: ["memoryLimit"], message: "only applies to a launched command (-- CMD ARGS…)" });
    }
    if (t.heapSource === "command" && !t.heapCommand) {
      ctx.addIssue({ code: "custom", path: ["heapCommand"], message: "required with --heap-source command" });
    }
    if (t.heapSource === "file" && !t.heapDir) {
      ctx.addIssue({ code: "custom", path: ["heapDir"], message: "required with --heap-source file" });
    }
    if (t.restart && t.command === undefined) {
      ctx.addIssue({ code: "custom", path: ["restart"], message: "only applies to a launched command (-- CMD ARGS…)" });
    }
    for (const issue of loadIssues(t)) ctx.addIssue({ code: "custom", ...issue });
  });

const listen = z.string().transform((v, ctx) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: "custom", message: `expected HOST:PORT such as 0.0.0.0:9477 or 127.0.0.1:0, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
});

export const configSchema = z
  .object({
    listen: listen.default("0.0.0.0:9477"),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    linger: duration().default(30),
    warmup: duration().default(0),
    discoveryInterval: duration(0.1).default(2),
    pssMaxRss: sizeOrZero.default(1024 ** 3),
    dataDir: z.string().min(1).default(defaultDataDir()),
    retention: count(1).default(1000),
    dotnetDiagnosticPort: z.string().min(1).optional(),
    adminToken: z.string().min(8, "expected at least 8 characters").optional(),
    targets: z.array(targetSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.targets.forEach((t, i) => {
      // Requests are counted by the hammer, read from the target's own metric, or posted to the API (which needs
      // the admin token); with none of these the trigger would never fire.
      if (t.dumpEveryRequests !== undefined && !t.loadUrl && !t.loadCommand && !t.loadFromMetric && !c.adminToken) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "dumpEveryRequests"],
          message: "needs load to count: --load-url, --load-command, --load-from-metric, or --admin-token for counts posted to the API",
        });
      }
      if (t.name && seen.has(t.name)) {
        ctx.addIssue({ code: "custom", path: ["targets", i, "name"], message: `duplicate target name ${JSON.stringify(t.name)}` });
      }
      if (t.name) seen.add(t.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
