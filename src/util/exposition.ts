// Load counted by the target itself: `--load-from-metric URL#metric_name{label="value",…}` names a counter on the
// target's own Prometheus endpoint. This is just enough of the text exposition format to read one metric: the
// samples whose name is exactly `metric_name` and whose labels include the given ones are summed.

export interface MetricSpec {
  /** The endpoint, without the #fragment. */
  url: string;
  metric: string;
  /** Equality matchers; a series matches when it has every one of them. */
  labels: Record<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses `URL#name{a="b",c=d}`; returns an error message (a string) when it is not one. */
export function parseMetricSpec(spec: string): MetricSpec | string {
  const hint = `expected URL#metric_name or URL#metric_name{label="value"} such as http://127.0.0.1:8080/metrics#http_requests_total{code="200"}, got ${JSON.stringify(spec)}`;
  const hash = spec.indexOf("#");
  if (hash < 0) return hint;
  let url: URL;
  try {
    url = new URL(spec.slice(0, hash));
  } catch {
    return hint;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return hint;
  const rest = spec.slice(hash + 1).trim();
  const brace = rest.indexOf("{");
  const metric = brace < 0 ? rest : rest.slice(0, brace);
  if (!NAME.test(metric)) return hint;
  let labels: Record<string, string> = {};
  if (brace >= 0) {
    if (!rest.endsWith("}")) return hint;
    const parsed = parseLabels(rest.slice(brace + 1, -1), true);
    if (!parsed) return hint;
    labels = parsed;
  }
  return { url: url.href, metric, labels };
}

/**
 * Parses the inside of `{…}`: `name="value"` pairs separated by commas (a trailing comma is allowed); with
 * `bare`, unquoted values (`code=200`) too, for specs typed on a command line. Undefined when malformed.
 */
export function parseLabels(s: string, bare = false): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let i = 0;
  const n = s.length;
  const skipSpace = () => {
    while (i < n && (s[i] === " " || s[i] === "\t")) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= n) return out;
    const eq = s.indexOf("=", i);
    if (eq < 0) return undefined;
    const name = s.slice(i, eq).trim();
    if (!LABEL.test(name)) return undefined;
    i = eq + 1;
    skipSpace();
    let value = "";
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i]!;
        if (c === "\\") {
          const e = s[i + 1];
          value += e === "n" ? "\n" : (e ?? "");
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) return undefined;
    } else if (bare) {
      const end = s.indexOf(",", i);
      value = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? n : end;
    } else {
      return undefined;
    }
    out[name] = value;
    skipSpace();
    if (i >= n) return out;
    if (s[i] !== ",") return undefined;
    i++;
  }
}

/**
 * The sum of the matching samples of `metric` in a text exposition, and how many series matched. Comment lines
 * and other metrics are skipped without being parsed; a malformed matching line is an error.
 */
export function sumMetric(text: string, metric: string, labels: Record<string, string> = {}): { value: number; series: number } {
  let value = 0;
  let series = 0;
  const wanted = Object.entries(labels);
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(pos) === 35 /* # */ ? "" : text.slice(pos, end);
    pos = end + 1;
    if (!line.startsWith(metric)) continue;
    const after = line[metric.length];
    if (after !== "{" && after !== " " && after !== "\t") continue;
    let rest = line.slice(metric.length);
    let got: Record<string, string> = {};
    if (after === "{") {
      const close = closingBrace(rest);
      if (close < 0) throw new Error(`malformed sample line: ${line.slice(0, 200)}`);
      const parsed = parseLabels(rest.slice(1, close));
      if (!parsed) throw new Error(`malformed labels: ${line.slice(0, 200)}`);
      got = parsed;
      rest = rest.slice(close + 1);
    }
    if (!wanted.every(([k, v]) => got[k] === v)) continue;
    const word = rest.trim().split(/\s+/)[0] ?? "";
    const v = parseSampleValue(word);
    if (v === undefined) throw new Error(`malformed sample value: ${line.slice(0, 200)}`);
    if (Number.isFinite(v)) {
      value += v;
      series++;
    }
  }
  return { value, series };
}

/** Index of the `}` closing the label set that `s` starts with, skipping quoted values. */
function closingBrace(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "}") return i;
  }
  return -1;
}

function parseSampleValue(w: string): number | undefined {
  if (w === "+Inf" || w === "Inf") return Infinity;
  if (w === "-Inf") return -Infinity;
  if (w === "NaN") return NaN;
  if (w === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(w)) return undefined;
  return Number(w);
}
