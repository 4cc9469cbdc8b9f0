// The load settings of a target, as validated by the config schema (src/config/schema.ts spreads LOAD_FIELDS into
// the target object) and by the admin API's PATCH. One validator per setting, shared by both.
import { z } from "../util/zod.js";
import { durationTooLong, parseDuration } from "../util/units.js";
import { parseMetricSpec, type MetricSpec } from "../util/exposition.js";

export const MAX_CONCURRENCY = 1024;

/** An http:// or https:// URL, kept as its normalised string. */
export const httpUrl = z.string().transform((v, ctx) => {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname) {
    ctx.addIssue({ code: "custom", message: `expected an http:// or https:// URL such as http://127.0.0.1:8080/orders, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  u.hash = "";
  return u.href;
});

export const httpMethod = z.string().transform((v, ctx) => {
  const m = v.trim().toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(m)) {
    ctx.addIssue({ code: "custom", message: `expected an HTTP method such as GET or POST, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return m;
});

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** "Name: value" → [name, value]; undefined when malformed. */
function splitHeader(line: string): [string, string] | undefined {
  const i = line.indexOf(":");
  if (i <= 0) return undefined;
  const name = line.slice(0, i).trim();
  return [name, line.slice(i + 1).trim()];
}

/**
 * Request headers: one "Name: value" (a flag or variable), a JSON object '{"Name": "value", …}', a YAML list of
 * "Name: value" strings, or a YAML mapping. Becomes {name: value}.
 */
export const httpHeaders = z
  .union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))])
  .transform((v, ctx) => {
    let pairs: [string, string][] = [];
    const bad = (what: string): never => {
      ctx.addIssue({ code: "custom", message: `expected a header "Name: value", a JSON object or a list of "Name: value", got ${what}` });
      return z.NEVER;
    };
    if (typeof v === "string" && v.trim().startsWith("{")) {
      let o: unknown;
      try {
        o = JSON.parse(v);
      } catch {
        return bad(JSON.stringify(v));
      }
      if (typeof o !== "object" || o === null || Array.isArray(o)) return bad(JSON.stringify(v));
      pairs = Object.entries(o as Record<string, unknown>).map(([k, x]) => [k, String(x)]);
    } else if (typeof v === "string" || Array.isArray(v)) {
      for (const line of typeof v === "string" ? [v] : v) {
        const p = splitHeader(line);
        if (!p) return bad(JSON.stringify(line));
        pairs.push(p);
      }
    } else {
      pairs = Object.entries(v).map(([k, x]) => [k, String(x)]);
    }
    const out: Record<string, string> = {};
    for (const [k, x] of pairs) {
      if (!TOKEN.test(k)) return bad(`the header name ${JSON.stringify(k)}`);
      if (/[\r\n\0]/.test(x)) return bad(`a line break in the value of ${k}`);
      out[k] = x;
    }
    return out;
  });

/** A command as words: a YAML list, or a string split on whitespace (never handed to a shell). */
export const commandWords = z.union([z.array(z.string()).min(1), z.string()]).transform((v, ctx) => {
  const list = Array.isArray(v) ? v : v.trim().split(/\s+/).filter(Boolean);
  if (list.length === 0 || list[0] === "") {
    ctx.addIssue({ code: "custom", message: "expected a command" });
    return z.NEVER;
  }
  return list;
});

export const concurrency = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    ctx.addIssue({ code: "custom", message: `expected a whole number of workers from 1 to ${MAX_CONCURRENCY}, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/** Jobs per round: a whole number ≥ 1, or "unbounded" (or null): one endless round. 0 is refused, not read as "unbounded". */
export const jobs = z.union([z.number(), z.string(), z.null()]).transform((v, ctx): number | null => {
  if (v === null || v === "unbounded") return null;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) {
    ctx.addIssue({ code: "custom", message: `expected a whole number of jobs per round or "unbounded", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/**
 * A duration in seconds, from a number or a string like "30s": at least `min`, and at most 24 days (longer waits
 * overflow Node's timers). `examples` fill the error message. The one duration parser of the config schemas.
 */
export const durationSeconds = (min: number, examples: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = parseDuration(v);
    if (n === undefined || n < min) {
      ctx.addIssue({ code: "custom", message: `expected a duration like ${examples}${min > 0 ? ` (at least ${min}s)` : ""}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    const tooLong = durationTooLong(n);
    if (tooLong !== undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration of ${tooLong}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

/** A duration in seconds (load settings are short: the examples say so). */
export const seconds = (min: number) => durationSeconds(min, "500ms, 10s or 1m");

/** Requests per second (may be fractional). */
export const rate = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!(n > 0) || !Number.isFinite(n) || n > 1e7) {
    ctx.addIssue({ code: "custom", message: `expected requests per second > 0 such as 50 or 0.5, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

export const metricSpec = z.string().transform((v, ctx): MetricSpec => {
  const r = parseMetricSpec(v);
  if (typeof r === "string") {
    ctx.addIssue({ code: "custom", message: r });
    return z.NEVER;
  }
  return r;
});

const positiveCount = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) {
    ctx.addIssue({ code: "custom", message: `expected a whole number ≥ 1, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** The per-target fields (spread into the target schema). */
export const LOAD_FIELDS = {
  loadUrl: httpUrl.optional(),
  loadMethod: httpMethod.default("GET"),
  loadHeader: httpHeaders.optional(),
  loadBody: z.string().optional(),
  loadCommand: commandWords.optional(),
  loadConcurrency: concurrency.default(DEFAULT_CONCURRENCY),
  loadJobs: jobs.default("unbounded"),
  loadWait: seconds(0).default(0),
  loadRate: rate.optional(),
  loadTimeout: seconds(0.001).default(DEFAULT_TIMEOUT_SECONDS),
  loadFromMetric: metricSpec.optional(),
  dumpEveryRequests: positiveCount.optional(),
};

/** Cross-field rules, for the target schema's superRefine. */
export function loadIssues(t: { loadUrl?: string; loadCommand?: string[] }): { path: string[]; message: string }[] {
  if (t.loadUrl !== undefined && t.loadCommand !== undefined) {
    return [{ path: ["loadCommand"], message: "expected only one of --load-url and --load-command" }];
  }
  return [];
}
