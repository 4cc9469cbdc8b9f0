import { describe, expect, it } from "vitest";
import { nodeArgvOptions, nodeFlagsFromArgv, parseHostPort, quoteNodeOption, splitCommandLine, splitNodeOptions } from "../../../../src/runtimes/node/flags.js";
import { v8SignalLaunchEnv } from "../../../../src/runtimes/node/signal-source.js";

describe("node option parsing", () => {
  it("reads options only before the script name", () => {
    expect(nodeArgvOptions(["node", "--heapsnapshot-signal=SIGUSR2", "app.js", "--inspect"])).toEqual([["--heapsnapshot-signal", "SIGUSR2"]]);
    expect(nodeFlagsFromArgv(["node", "app.js", "--heapsnapshot-signal=SIGUSR2"], undefined).heapsnapshotSignal).toBeUndefined();
    expect(nodeFlagsFromArgv(["node", "--", "--heapsnapshot-signal=SIGUSR2"], undefined).heapsnapshotSignal).toBeUndefined();
  });

  it("takes the value of a value option from the next argument, not as the script", () => {
    const f = nodeFlagsFromArgv(["node", "-r", "./preload.js", "--diagnostic-dir", "/tmp/d", "--heapsnapshot-signal", "SIGUSR2", "app.js"], undefined);
    expect(f.heapsnapshotSignal).toBe("SIGUSR2");
    expect(f.diagnosticDir).toBe("/tmp/d");
  });

  it("stops at an unknown option's separate value rather than guessing (misses a flag, never invents one)", () => {
    expect(nodeFlagsFromArgv(["node", "--some-new-option", "value", "--heapsnapshot-signal=SIGUSR2", "app.js"], undefined).heapsnapshotSignal).toBeUndefined();
  });

  it("accepts underscores like Node and rejects unknown signal names", () => {
    expect(nodeFlagsFromArgv(["node", "--heapsnapshot_signal=SIGUSR2", "a.js"], undefined).heapsnapshotSignal).toBe("SIGUSR2");
    expect(nodeFlagsFromArgv(["node", "--heapsnapshot-signal=USR2", "a.js"], undefined).heapsnapshotSignal).toBeUndefined();
  });

  it("reads NODE_OPTIONS, with the command line winning", () => {
    const f = nodeFlagsFromArgv(["node", "--diagnostic-dir=/cli", "a.js"], '--heapsnapshot-signal=SIGUSR2 --diagnostic-dir="/env dir"');
    expect(f.heapsnapshotSignal).toBe("SIGUSR2");
    expect(f.diagnosticDir).toBe("/cli");
    expect(nodeFlagsFromArgv(["node", "a.js"], '--diagnostic-dir="/env dir"').diagnosticDir).toBe("/env dir");
  });

  it("parses --inspect forms and --inspect-port", () => {
    expect(nodeFlagsFromArgv(["node", "--inspect", "a.js"], undefined).inspect).toEqual({ host: undefined, port: undefined });
    expect(nodeFlagsFromArgv(["node", "--inspect=9300", "a.js"], undefined).inspect).toEqual({ host: undefined, port: 9300 });
    expect(nodeFlagsFromArgv(["node", "--inspect-brk=0.0.0.0:9301", "a.js"], undefined).inspect).toEqual({ host: "0.0.0.0", port: 9301 });
    expect(nodeFlagsFromArgv(["node", "--inspect=[::1]:9302", "a.js"], undefined).inspect).toEqual({ host: "::1", port: 9302 });
    // --inspect takes no separate value: "9303" is the script here.
    expect(nodeFlagsFromArgv(["node", "--inspect", "9303"], undefined).inspect).toEqual({ host: undefined, port: undefined });
    expect(nodeFlagsFromArgv(["node", "--inspect", "--inspect-port", "9304", "a.js"], undefined).inspect).toEqual({ host: undefined, port: 9304 });
    expect(nodeFlagsFromArgv(["node", "--inspect-port=127.0.0.1:0", "a.js"], undefined)).toMatchObject({
      inspect: undefined,
      inspectPort: { host: "127.0.0.1", port: 0 },
    });
    expect(parseHostPort("localhost")).toEqual({ host: "localhost", port: undefined });
  });

  it("splits NODE_OPTIONS like Node (quotes group, backslash escapes inside quotes)", () => {
    expect(splitNodeOptions(' --a  --b="x y" "--c=q\\"uote" ')).toEqual(["--a", "--b=x y", '--c=q"uote']);
    expect(splitNodeOptions("")).toEqual([]);
    for (const w of ["plain", "with space", 'quo"te', "back\\slash", ""]) expect(splitNodeOptions(quoteNodeOption(w))).toEqual([w]);
  });

  it("splits a command string with quotes", () => {
    expect(splitCommandLine(`node --diagnostic-dir "/a b" 'c d' e`)).toEqual(["node", "--diagnostic-dir", "/a b", "c d", "e"]);
  });
});

describe("v8SignalLaunchEnv", () => {
  it("adds the signal and directory to an empty NODE_OPTIONS", () => {
    expect(v8SignalLaunchEnv("/var/lib/lw/raw", {})).toEqual({ NODE_OPTIONS: "--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/var/lib/lw/raw" });
  });

  it("keeps existing options, replaces earlier signal/dir options, and quotes a directory with spaces", () => {
    const env = v8SignalLaunchEnv("/tmp/a b", { NODE_OPTIONS: '--max-old-space-size=512 --diagnostic-dir /old --heapsnapshot-signal=SIGUSR1 -r "./x y.js"' });
    expect(env.NODE_OPTIONS).toBe('--max-old-space-size=512 -r "./x y.js" --heapsnapshot-signal=SIGUSR2 --diagnostic-dir="/tmp/a b"');
    const f = nodeFlagsFromArgv(["node", "a.js"], env.NODE_OPTIONS);
    expect(f).toMatchObject({ heapsnapshotSignal: "SIGUSR2", diagnosticDir: "/tmp/a b" });
  });
});
