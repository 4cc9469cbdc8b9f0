import { describe, expect, it } from "vitest";
import { parseLabels, parseMetricSpec, sumMetric } from "../../../src/util/exposition.js";

const TEXT = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/a"} 10
http_requests_total{path="/b",code="200"} 5 1700000000000
http_requests_total{code="500",path="/a"} 2
http_requests_total_created{code="200",path="/a"} 1.7e9
http_requests 99
http_requests_total{code="200",path="quo\\"ted,}"} 1e2
other_total 7
`;

describe("parseMetricSpec", () => {
  it("splits URL#name{labels}, quoted or bare values", () => {
    expect(parseMetricSpec('http://127.0.0.1:9/metrics#http_requests_total{code="200"}')).toEqual({
      url: "http://127.0.0.1:9/metrics",
      metric: "http_requests_total",
      labels: { code: "200" },
    });
    expect(parseMetricSpec("http://h:1/m#x_total{a=b, c = d}")).toEqual({ url: "http://h:1/m", metric: "x_total", labels: { a: "b", c: "d" } });
    expect(parseMetricSpec("https://h/metrics#up")).toEqual({ url: "https://h/metrics", metric: "up", labels: {} });
  });

  it.each(["http://h/metrics", "ftp://h/m#x", "nota url#x", "http://h/m#9bad", 'http://h/m#x{a="b"', 'http://h/m#x{a="b}', "http://h/m#x{-a=1}"])(
    "rejects %j with a message that shows the form",
    (spec) => {
      expect(parseMetricSpec(spec)).toMatch(/expected URL#metric_name/);
    },
  );
});

describe("sumMetric", () => {
  it("sums exactly the named metric's series that carry the matchers", () => {
    expect(sumMetric(TEXT, "http_requests_total")).toEqual({ value: 117, series: 4 });
    expect(sumMetric(TEXT, "http_requests_total", { code: "200" })).toEqual({ value: 115, series: 3 });
    expect(sumMetric(TEXT, "http_requests_total", { code: "200", path: "/a" })).toEqual({ value: 10, series: 1 });
    expect(sumMetric(TEXT, "http_requests_total", { path: 'quo"ted,}' })).toEqual({ value: 100, series: 1 });
    expect(sumMetric(TEXT, "http_requests")).toEqual({ value: 99, series: 1 });
    expect(sumMetric(TEXT, "missing")).toEqual({ value: 0, series: 0 });
  });

  it("fails on a malformed matching line, ignores malformed others", () => {
    expect(() => sumMetric('x_total{a="1" 3\n', "x_total")).toThrow(/malformed/);
    expect(() => sumMetric("x_total abc\n", "x_total")).toThrow(/malformed sample value/);
    expect(sumMetric("y_total{{{ junk\nx_total 3\n", "x_total")).toEqual({ value: 3, series: 1 });
  });

  it("skips NaN samples, handles CRLF-free text without a final newline", () => {
    expect(sumMetric('x 1\nx{a="b"} NaN\nx{a="c"} 2', "x")).toEqual({ value: 3, series: 2 });
  });
});

describe("parseLabels", () => {
  it("unescapes and tolerates a trailing comma; bare values only when asked", () => {
    expect(parseLabels('a="x\\ny",b="\\\\",')).toEqual({ a: "x\ny", b: "\\" });
    expect(parseLabels("a=1")).toBeUndefined();
    expect(parseLabels("a=1", true)).toEqual({ a: "1" });
    expect(parseLabels("")).toEqual({});
  });
});
