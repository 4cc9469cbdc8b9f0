// The load options as flags and YAML: defaults, the header forms, unbounded jobs, and one-line errors.
import { afterAll, describe, expect, it } from "vitest";
import { configError, load, tempFiles } from "./helpers.js";

const files = tempFiles();
afterAll(() => files.cleanup());
const cmd = ["--", "node", "x.js"];

describe("load options", () => {
  it("default to no load, 4 workers, one endless round, no wait, no cap, 10 s timeout", () => {
    const t = load(cmd).targets[0]!;
    expect(t).toMatchObject({ loadMethod: "GET", loadConcurrency: 4, loadJobs: null, loadWait: 0, loadTimeout: 10 });
    expect(t.loadUrl).toBeUndefined();
    expect(t.loadRate).toBeUndefined();
    expect(t.dumpEveryRequests).toBeUndefined();
  });

  it("accept --dump-every-requests with load counted by the API (it needs --admin-token)", () => {
    expect(load(["--dump-every-requests", "10", "--admin-token", "secret-token", ...cmd]).targets[0]!.dumpEveryRequests).toBe(10);
  });

  it("parse every flag", () => {
    const t = load([
      "--load-url",
      "http://127.0.0.1:8080/orders?x=1#frag",
      "--load-method",
      "post",
      "--load-header",
      "Content-Type: application/json",
      "--load-body",
      '{"a":1}',
      "--load-concurrency",
      "16",
      "--load-jobs",
      "500",
      "--load-wait",
      "1.5s",
      "--load-rate",
      "0.5",
      "--load-timeout",
      "250ms",
      "--dump-every-requests",
      "500",
      "--load-from-metric",
      "http://127.0.0.1:8080/metrics#http_requests_total{code=200}",
      ...cmd,
    ]).targets[0]!;
    expect(t).toMatchObject({
      loadUrl: "http://127.0.0.1:8080/orders?x=1",
      loadMethod: "POST",
      loadHeader: { "Content-Type": "application/json" },
      loadBody: '{"a":1}',
      loadConcurrency: 16,
      loadJobs: 500,
      loadWait: 1.5,
      loadRate: 0.5,
      loadTimeout: 0.25,
      dumpEveryRequests: 500,
      loadFromMetric: { url: "http://127.0.0.1:8080/metrics", metric: "http_requests_total", labels: { code: "200" } },
    });
  });

  it("takes headers as a JSON object on the command line, a list or a mapping in the file", () => {
    expect(load(["--load-header", '{"A": "1", "B": 2}', ...cmd]).targets[0]!.loadHeader).toEqual({ A: "1", B: "2" });
    const list = files.yaml("targets:\n  - command: [node, x.js]\n    loadHeader: ['A: 1', 'B: two words']\n");
    expect(load(["--config", list]).targets[0]!.loadHeader).toEqual({ A: "1", B: "two words" });
    const map = files.yaml("targets:\n  - command: [node, x.js]\n    loadHeader: {A: 1, B: x}\n    loadCommand: [curl, -s, 'http://h/a b']\n");
    const t = load(["--config", map]).targets[0]!;
    expect(t.loadHeader).toEqual({ A: "1", B: "x" });
    expect(t.loadCommand).toEqual(["curl", "-s", "http://h/a b"]);
  });

  it("splits --load-command on whitespace, never through a shell", () => {
    expect(load(["--load-command", "  curl  -s 'x y'  ", ...cmd]).targets[0]!.loadCommand).toEqual(["curl", "-s", "'x", "y'"]);
  });

  it.each([
    [["--load-url", "127.0.0.1:8080/x"], /--load-url \(targets\[0\]\.loadUrl\): expected an http:\/\/ or https:\/\/ URL/],
    [["--load-url", "ftp://h/x"], /--load-url .*expected an http/],
    [["--load-url", "http://h/", "--load-command", "curl x"], /--load-command .*only one of --load-url and --load-command/],
    [["--load-header", "no colon"], /--load-header .*expected a header "Name: value"/],
    [["--load-header", "Bad Name: x"], /--load-header .*the header name "Bad Name"/],
    [["--load-header", "{not json"], /--load-header .*expected a header/],
    [["--load-concurrency", "0"], /--load-concurrency .*from 1 to 1024/],
    [["--load-concurrency", "5000"], /--load-concurrency .*from 1 to 1024/],
    [["--load-jobs", "1.5"], /--load-jobs .*or "unbounded"/],
    [["--load-rate", "0"], /--load-rate .*requests per second > 0/],
    [["--load-rate", "fast"], /--load-rate .*requests per second/],
    [["--load-timeout", "0"], /--load-timeout .*at least 0.001s/],
    [["--load-method", "GE T"], /--load-method .*HTTP method/],
    [["--load-from-metric", "http://h/metrics"], /--load-from-metric .*URL#metric_name/],
    [["--dump-every-requests", "0"], /--dump-every-requests .*whole number ≥ 1/],
    [["--dump-every-requests", "10"], /--dump-every-requests .*needs load to count/],
    [["--load-jobs", "0", "--load-url", "http://h/"], /--load-jobs .*"unbounded", got "0"/],
    [["--load-wait", "25d", "--load-url", "http://h/"], /--load-wait .*at most 24 days/],
  ])("rejects %j in one line", (args, re) => {
    expect(configError(() => load([...args, ...cmd]))).toMatch(re);
  });

  it("accepts 'unbounded', 0 and a number for --load-jobs", () => {
    expect(load(["--load-jobs", "unbounded", ...cmd]).targets[0]!.loadJobs).toBeNull();
    expect(() => load(["--load-jobs", "0", ...cmd])).toThrow(/--load-jobs.*"unbounded", got "0"/);
    expect(load(["--load-jobs", "7", ...cmd]).targets[0]!.loadJobs).toBe(7);
  });
});
