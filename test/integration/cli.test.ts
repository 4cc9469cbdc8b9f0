// The command as a user meets it: help, usage errors as one line with exit 2, runtime errors with exit 1,
// a launched command's exit code passed through, and a real scrape that promtool finds clean.
import { describe, expect, it } from "vitest";
import net from "node:net";
import { execFileSync } from "node:child_process";
import { OPTIONS, envName } from "../../src/config/options.js";
import { leakwatch } from "../helpers/cli.js";
import { skipReason, waitFor, which } from "../helpers/env.js";

const oneLine = (s: string) => s.trim().split("\n").length === 1;

describe("leakwatch CLI", () => {
  it("--help lists every option and exits 0", async () => {
    const r = await leakwatch(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const o of OPTIONS) expect(r.stdout).toContain(`--${o.flag}`);
    expect(r.stdout).toContain("LEAKWATCH_");
    for (const c of ["serve", "run", "parse", "diff"]) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
  });

  it("run --help shows its own usage and every option once", async () => {
    const r = await leakwatch(["run", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Usage: leakwatch run /);
    for (const flag of [...OPTIONS.map((o) => o.flag), "duration", "report"]) {
      expect(
        r.stdout.split("\n").filter((l) => new RegExp(`^\\s+(-\\w, )?--${flag}( |$)`).test(l)),
        `--${flag}`,
      ).toHaveLength(1);
    }
    expect(r.stdout).not.toMatch(/^\s+leakwatch (diff|parse) /m);
  });

  it("with no target prints how to name one and exits 2", async () => {
    const r = await leakwatch([]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("no target given");
    expect(r.stderr).toContain("--pid");
    expect(r.stderr).toContain("--match");
  });

  it.each([
    [["--pid", "999999999"], /--pid 999999999: no such process/],
    [["--match", "("], /--match \(targets\[0\]\.match\): invalid regular expression/],
    [["--memory-limit", "lots", "--", "true"], /--memory-limit .*expected a size/],
    [["--pid", "abc"], /--pid .*expected a positive process id/],
    [["--listen", "nowhere", "--pid", "1"], /--listen .*expected HOST:PORT/],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--pid", "-5"], /Option '--pid' argument is ambiguous; to specify an option argument starting with a dash use '--pid=-XYZ'/],
    [["--config", "/nonexistent/leakwatch.yaml"], /cannot read config file \/nonexistent\/leakwatch.yaml: ENOENT/],
    [["--", "no-such-command-xyz"], /command not found or not executable: no-such-command-xyz/],
    // Checked at start, not at the first dump minutes later.
    [
      ["--pid", String(process.pid), "--heap-source", "command", "--heap-command", "no-such-tool-xyz {pid}", "--listen", "127.0.0.1:0"],
      /--heap-command: command not found or not executable: no-such-tool-xyz/,
    ],
    [
      ["--pid", String(process.pid), "--heap-source", "file", "--heap-dir", "/nonexistent/heaps", "--listen", "127.0.0.1:0"],
      /--heap-dir: no such directory: \/nonexistent\/heaps/,
    ],
    [
      ["--pid", String(process.pid), "--heap-source", "file", "--heap-dir", "/etc/hostname", "--listen", "127.0.0.1:0"],
      /--heap-dir: not a directory: \/etc\/hostname/,
    ],
  ])("rejects %j with one line and exit 2", async (args, message) => {
    const r = await leakwatch(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(oneLine(r.stderr)).toBe(true);
  });

  it("reads settings from LEAKWATCH_* variables", async () => {
    const r = await leakwatch([], { env: { [envName("pid")]: "abc" } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--pid .*expected a positive process id, got "abc"/);
  });

  it("exits 1 with one line when the port is in use", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await leakwatch(["--listen", `127.0.0.1:${port}`, "--pid", String(process.pid)]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim()).toBe(`leakwatch: cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      blocker.close();
    }
  });

  it("passes a launched command's exit code through after lingering", async () => {
    const r = await leakwatch(["--listen", "127.0.0.1:0", "--linger", "0s", "--", process.execPath, "-e", "process.exit(5)"]);
    expect(r.exitCode).toBe(5);
  });

  it.each([[[]], [["serve"]]])("%j forwards SIGTERM to a launched command and exits without lingering", async (serve) => {
    const p = leakwatch([
      ...serve,
      "--listen",
      "127.0.0.1:0",
      "--linger",
      "60s",
      "--log-level",
      "info",
      "--",
      process.execPath,
      "-e",
      "process.on('SIGTERM', () => process.exit(42)); console.log('handler installed'); setInterval(() => {}, 1000)",
    ]);
    let stderr = "";
    let stdout = "";
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    p.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
    // Until the child's handler is installed SIGTERM would simply kill it (node's own start-up handler re-raises it,
    // so /proc's SigCgt cannot tell): the child says when, on the stdout it shares with leakwatch.
    await waitFor(async () => stdout.includes("handler installed") || undefined, 20_000, "the target's SIGTERM handler");
    p.kill("SIGTERM");
    const r = await p;
    expect(r.exitCode, stderr).toBe(42);
  });

  const noPromtool = which("promtool") ? null : "promtool not installed (Debian package prometheus)";
  it.skipIf(skipReason("promtool check metrics", noPromtool))("serves metrics that `promtool check metrics` finds clean", async () => {
    const p = leakwatch(
      ["--listen", "127.0.0.1:0", "--log-level", "info", "--memory-limit", "300m", "--", process.execPath, "-e", "setInterval(() => {}, 1000)"].filter(
        // Without cgroup permission the scrape is still checked, just without the cgroup series.
        (a, i, all) => process.getuid?.() === 0 || !(a === "--memory-limit" || all[i - 1] === "--memory-limit"),
      ),
    );
    let stderr = "";
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      const address = await waitFor(async () => /"address":"([^"]+)"/.exec(stderr)?.[1], 10_000, "leakwatch to listen");
      const body = await waitFor(
        async () => {
          const text = await (await fetch(`http://${address}/metrics`)).text();
          // A sample, not just the HELP line: leakwatch serves before it has found the target.
          return text.includes("leakwatch_target_resident_memory_bytes{") ? text : undefined;
        },
        10_000,
        "target metrics",
      );
      let out = "";
      try {
        out = execFileSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
      }
      expect(out.trim()).toBe("");
    } finally {
      p.kill("SIGTERM");
      await p;
    }
  });
});

describe("leakwatch serve", () => {
  // Each case names the outcome too: "the same" must not pass by both forms failing alike.
  it.each([
    [[], 2, /^leakwatch: no target given/],
    [["--pid", "999999999"], 2, /^leakwatch: --pid 999999999: no such process$/],
    [["--frobnicate"], 2, /^leakwatch: Unknown option '--frobnicate' \(see --help\)$/],
    [["stray"], 2, /^leakwatch: unexpected argument "stray"/],
    [["--version"], 0, /^$/],
    [["--help"], 0, /^$/],
  ])("behaves as the bare command: %j", async (args, code, stderr) => {
    const bare = await leakwatch(args);
    const serve = await leakwatch(["serve", ...args]);
    expect(bare.exitCode).toBe(code);
    expect(bare.stderr.trim()).toMatch(stderr);
    expect(serve.exitCode).toBe(bare.exitCode);
    expect(serve.stderr).toBe(bare.stderr);
    expect(serve.stdout).toBe(bare.stdout);
  });

  it("passes a launched command's exit code through", async () => {
    const r = await leakwatch(["serve", "--listen", "127.0.0.1:0", "--linger", "0s", "--", process.execPath, "-e", "process.exit(5)"]);
    expect(r.exitCode).toBe(5);
  });

  it("serves metrics", async () => {
    const p = leakwatch(["serve", "--listen", "127.0.0.1:0", "--log-level", "info", "--pid", String(process.pid)]);
    let stderr = "";
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      const address = await waitFor(async () => /"address":"([^"]+)"/.exec(stderr)?.[1], 10_000, "leakwatch to listen");
      const body = await waitFor(
        async () => {
          const text = await (await fetch(`http://${address}/metrics`)).text();
          // A sample, not just the HELP line: leakwatch serves before it has found the target.
          return text.includes("leakwatch_target_resident_memory_bytes{") ? text : undefined;
        },
        10_000,
        "target metrics",
      );
      expect(body).toMatch(new RegExp(`leakwatch_target_resident_memory_bytes\\{[^}]*target="pid-${process.pid}"`));
    } finally {
      p.kill("SIGTERM");
    }
    // Not a launched target: SIGTERM stops leakwatch itself, with 0.
    expect((await p).exitCode).toBe(0);
  });
});
