// Load settings that cannot work stop leakwatch at start-up with one line and exit 2; --help documents them.
import { describe, expect, it } from "vitest";
import { leakwatch } from "../helpers/cli.js";

const oneLine = (s: string) => s.trim().split("\n").length === 1;

describe("leakwatch with load options", () => {
  it.each([
    [["--load-url", "localhost:8080/x"], /^leakwatch: --load-url \(targets\[0\]\.loadUrl\): expected an http:\/\/ or https:\/\/ URL/],
    [["--load-url", "http://127.0.0.1:1/", "--load-command", "curl x"], /--load-command .*only one of --load-url and --load-command/],
    [["--load-command", "no-such-load-tool-xyz --fast"], /^leakwatch: --load-command: command not found or not executable: no-such-load-tool-xyz$/],
    [["--load-from-metric", "http://127.0.0.1:1/metrics"], /--load-from-metric .*expected URL#metric_name/],
    [["--load-rate=-5"], /--load-rate .*requests per second > 0/],
  ])("rejects %j with one line and exit 2", async (args, message) => {
    const r = await leakwatch([
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      "/tmp/lw-load-cli",
      ...args,
      "--",
      process.execPath,
      "-e",
      "setTimeout(() => {}, 5000)",
    ]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim()).toMatch(message);
    expect(oneLine(String(r.stderr))).toBe(true);
  });

  it("--help has a Load section", async () => {
    const r = await leakwatch(["--help"]);
    expect(String(r.stdout)).toMatch(/\nLoad:\n\s+--load-url URL /);
    expect(String(r.stdout)).toMatch(/--dump-every-requests N/);
  });
});
