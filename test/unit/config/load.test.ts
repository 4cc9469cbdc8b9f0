import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseCli } from "../../../src/config/load.js";
import type { TargetConfig } from "../../../src/config/schema.js";
import { RUN_DEFAULTS } from "../../../src/cli/run.js";
import { configError, load, tempFiles } from "./helpers.js";

const files = tempFiles();
afterAll(() => files.cleanup());
const MiB = 1024 ** 2;

/** The target fields these tests are about (targets also carry heap-dump settings with defaults). */
function core(t: TargetConfig) {
  return { name: t.name, pid: t.pid, match: t.match, cgroup: t.cgroup, command: t.command, memoryLimit: t.memoryLimit, restart: t.restart };
}

describe("parseCli", () => {
  it("everything after -- is the command, flags included", () => {
    expect(parseCli(["--memory-limit", "200m", "--", "node", "x.js", "--inspect"])).toEqual({
      values: { memoryLimit: "200m" },
      positionals: [],
      command: ["node", "x.js", "--inspect"],
    });
  });

  it("leakwatch's own flags after -- belong to the command", () => {
    const cli = parseCli(["--listen", ":1", "--", "leakwatch", "--pid", "1", "--", "--match", "x"]);
    expect(cli.values).toEqual({ listen: ":1" });
    expect(cli.command).toEqual(["leakwatch", "--pid", "1", "--", "--match", "x"]);
  });

  it("words before -- are positionals, not the command", () => {
    const cli = parseCli(["node", "x.js"]);
    expect(cli.positionals).toEqual(["node", "x.js"]);
    expect(cli.command).toEqual([]);
  });

  it("--flag=value, short flags and booleans; values keyed by camelCase", () => {
    const cli = parseCli(["-c", "f.yaml", "--log-level=debug", "--restart", "--pss-max-rss", "0", "-h", "-V"]);
    expect(cli.values).toEqual({ config: "f.yaml", logLevel: "debug", restart: true, pssMaxRss: "0", help: true, version: true });
  });

  it("a trailing -- with nothing after gives no command", () => {
    expect(parseCli(["--pid", "5", "--"]).command).toEqual([]);
  });

  it("unknown flags and missing values are one-line ConfigErrors naming the flag", () => {
    expect(configError(() => parseCli(["--frobnicate"]))).toMatch(/--frobnicate/);
    expect(configError(() => parseCli(["-x"]))).toMatch(/-x/);
    expect(configError(() => parseCli(["--pid"]))).toMatch(/--pid/);
    expect(configError(() => parseCli(["--restart=yes"]))).toMatch(/--restart/);
  });
});

describe("precedence: flags > LEAKWATCH_* env > YAML file > defaults", () => {
  const layers = {
    file: { listen: "127.0.0.1:9001", logLevel: "debug", linger: "10s" },
    env: { LEAKWATCH_LISTEN: "127.0.0.1:9002", LEAKWATCH_LOG_LEVEL: "warn", LEAKWATCH_LINGER: "20s" },
    flags: ["--listen", "127.0.0.1:9003", "--log-level", "error", "--linger", "5m"],
  };
  const expected = {
    none: { listen: { host: "0.0.0.0", port: 9477 }, logLevel: "info", linger: 30 },
    file: { listen: { host: "127.0.0.1", port: 9001 }, logLevel: "debug", linger: 10 },
    env: { listen: { host: "127.0.0.1", port: 9002 }, logLevel: "warn", linger: 20 },
    flags: { listen: { host: "127.0.0.1", port: 9003 }, logLevel: "error", linger: 300 },
  };
  const combos: [boolean, boolean, boolean][] = [];
  for (const f of [false, true]) for (const e of [false, true]) for (const c of [false, true]) combos.push([f, e, c]);

  it.each(combos)("file=%s env=%s flags=%s", (f, e, c) => {
    const argv: string[] = [];
    if (f) {
      const { listen, logLevel, linger } = layers.file;
      argv.push("--config", files.yaml(`listen: "${listen}"\nlogLevel: ${logLevel}\nlinger: ${linger}\n`));
    }
    if (c) argv.push(...layers.flags);
    const cfg = load(argv, e ? layers.env : {});
    const want = c ? expected.flags : e ? expected.env : f ? expected.file : expected.none;
    expect({ listen: cfg.listen, logLevel: cfg.logLevel, linger: cfg.linger }).toEqual(want);
  });

  it("each key is resolved on its own: one from each layer", () => {
    const file = files.yaml("listen: 10.0.0.1:1\nlogLevel: debug\nlinger: 1s\n");
    const cfg = load(["--config", file, "--listen", "10.0.0.3:3"], { LEAKWATCH_LOG_LEVEL: "warn" });
    expect(cfg.listen).toEqual({ host: "10.0.0.3", port: 3 });
    expect(cfg.logLevel).toBe("warn");
    expect(cfg.linger).toBe(1);
  });

  it("the config file can come from LEAKWATCH_CONFIG; --config / -c wins over it", () => {
    const a = files.yaml("logLevel: debug\n");
    const b = files.yaml("logLevel: trace\n");
    expect(load([], { LEAKWATCH_CONFIG: a }).logLevel).toBe("debug");
    expect(load(["-c", b], { LEAKWATCH_CONFIG: a }).logLevel).toBe("trace");
  });

  it("empty environment values are ignored", () => {
    expect(load([], { LEAKWATCH_LISTEN: "", LEAKWATCH_LOG_LEVEL: "" })).toMatchObject({ logLevel: "info", listen: { port: 9477 } });
  });

  it("numbers in YAML: bytes and seconds", () => {
    const cfg = load(["-c", files.yaml("linger: 45\npssMaxRss: 1048576\ndiscoveryInterval: 0.5\n")]);
    expect(cfg).toMatchObject({ linger: 45, pssMaxRss: 1048576, discoveryInterval: 0.5 });
  });

  it("an empty YAML file is all defaults", () => {
    expect(load(["-c", files.yaml("")])).toEqual(load([]));
  });
});

describe("targets", () => {
  const twoCommands = `
listen: 127.0.0.1:9100
targets:
  - name: api
    command: [node, api.js]
    memoryLimit: 1g
  - command: [node, worker.js]
`;

  it("file targets as given, with names derived", () => {
    const cfg = load(["-c", files.yaml(twoCommands)]);
    expect(cfg.targets.map(core)).toEqual([
      { name: "api", command: ["node", "api.js"], memoryLimit: 1024 * MiB, restart: false },
      { name: "node", command: ["node", "worker.js"], restart: false },
    ]);
  });

  it("per-target settings from flags apply to every file target (and beat the file's own)", () => {
    const cfg = load(["-c", files.yaml(twoCommands), "--memory-limit", "200m", "--restart"]);
    expect(cfg.targets.map((t) => [t.name, t.memoryLimit, t.restart])).toEqual([
      ["api", 200 * MiB, true],
      ["node", 200 * MiB, true],
    ]);
  });

  it("per-target settings from the environment too; flags beat the environment", () => {
    const file = files.yaml(twoCommands);
    const env = { LEAKWATCH_MEMORY_LIMIT: "300m", LEAKWATCH_RESTART: "true" };
    expect(load(["-c", file], env).targets.map((t) => [t.memoryLimit, t.restart])).toEqual([
      [300 * MiB, true],
      [300 * MiB, true],
    ]);
    expect(load(["-c", file, "--memory-limit", "100m"], env).targets.map((t) => t.memoryLimit)).toEqual([100 * MiB, 100 * MiB]);
  });

  it("a target from flags replaces the file's targets; the file's other settings stay", () => {
    const cfg = load(["-c", files.yaml(twoCommands), "--pid", "1234"]);
    expect(cfg.targets.map(core)).toEqual([{ name: "pid-1234", pid: 1234, restart: false }]);
    expect(cfg.listen).toEqual({ host: "127.0.0.1", port: 9100 });
  });

  it("a command after -- replaces the file's targets", () => {
    const cfg = load(["-c", files.yaml(twoCommands), "--", "python3", "svc.py"]);
    expect(cfg.targets.map(core)).toEqual([{ name: "python3", command: ["python3", "svc.py"], restart: false }]);
  });

  it("a target from the environment replaces the file's targets", () => {
    const cfg = load(["-c", files.yaml(twoCommands)], { LEAKWATCH_MATCH: "java .*Order" });
    expect(cfg.targets).toHaveLength(1);
    expect(cfg.targets[0]!.match).toEqual(/java .*Order/);
  });

  it("a target from flags replaces one from the environment (flags > env for the target too)", () => {
    const a = load(["--match", "foo"], { LEAKWATCH_PID: "5" });
    expect(a.targets).toHaveLength(1);
    expect(a.targets[0]!.match).toEqual(/foo/);
    expect(a.targets[0]!.pid).toBeUndefined();
    const b = load(["--", "node", "x.js"], { LEAKWATCH_MATCH: "bar", LEAKWATCH_NAME: "svc" });
    expect(b.targets.map(core)).toEqual([{ name: "svc", command: ["node", "x.js"], restart: false }]);
  });

  it("--name from flags names the env's target", () => {
    expect(load(["--name", "db"], { LEAKWATCH_PID: "42" }).targets.map(core)).toEqual([{ name: "db", pid: 42, restart: false }]);
  });

  it("the canonical launch: --memory-limit 200m -- node x.js --inspect", () => {
    const cfg = loadConfig(parseCli(["--memory-limit", "200m", "--", "node", "x.js", "--inspect"]), {});
    expect(cfg.targets.map(core)).toEqual([{ name: "node", command: ["node", "x.js", "--inspect"], memoryLimit: 200 * MiB, restart: false }]);
  });

  it("no target anywhere → an empty list (main reports it)", () => {
    expect(load([]).targets.map(core)).toEqual([]);
  });

  it("selector values: --pid with spaces, --cgroup as given, --match compiled", () => {
    expect(load(["--pid", " 77 "]).targets[0]!.pid).toBe(77);
    expect(load(["--cgroup", "/sys/fs/cgroup/system.slice/app.service"]).targets[0]!.cgroup).toBe("/sys/fs/cgroup/system.slice/app.service");
    const re = load(["--match", "node .*server\\.js"]).targets[0]!.match!;
    expect(re.test("node /srv/server.js --port 1")).toBe(true);
    expect(re.test("node /srv/serverXjs")).toBe(false);
  });
});

describe("name derivation", () => {
  const nameOf = (argv: string[]) => load(argv).targets[0]!.name;

  it.each([
    [["--pid", "1234"], "pid-1234"],
    [["--", "/usr/local/bin/node", "x.js"], "node"],
    [["--", "./bin/my server", "--port", "1"], "my_server"],
    [["--cgroup", "/sys/fs/cgroup/system.slice/app.service/"], "app.service"],
    [["--cgroup", "/kubepods/burstable/pod0f1e/abc123"], "abc123"],
    [["--match", "java .*OrderService"], "java_._OrderService"],
    [["--match", "^node"], "node"],
    [["--match", "^$"], "match"],
    [["--", "x".repeat(80)], "x".repeat(48)],
  ])("%j → %s", (argv, name) => {
    expect(nameOf(argv)).toBe(name);
  });

  it("derived names are valid target names", () => {
    for (const argv of [
      ["--match", "a b/c\\d*e?f[g]"],
      ["--", "/opt/ünïcode app"],
      ["--cgroup", "/a/b c"],
    ]) {
      expect(nameOf(argv)).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
    }
  });

  it("clashes get -2, -3…, skipping names already taken explicitly", () => {
    const cfg = load([
      "-c",
      files.yaml(`
targets:
  - command: [node, a.js]
  - name: node-2
    pid: 5
  - command: [node, b.js]
  - command: [/usr/bin/node, c.js]
`),
    ]);
    expect(cfg.targets.map((t) => t.name)).toEqual(["node", "node-2", "node-3", "node-4"]);
  });

  it("an explicit name later in the list wins over a derived one", () => {
    const cfg = load(["-c", files.yaml("targets:\n  - command: [node]\n  - {name: node, pid: 5}\n")]);
    expect(cfg.targets.map((t) => t.name)).toEqual(["node-2", "node"]);
  });
});

describe("bad values: one-line ConfigError naming the field or flag", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["non-numeric size", () => load(["--memory-limit", "abc", "--", "node"]), /--memory-limit.*"abc"/],
    ["zero size", () => load(["--memory-limit", "0", "--", "node"]), /--memory-limit/],
    ["invalid regex", () => load(["--match", "("]), /--match.*regular expression/],
    ["non-numeric pid", () => load(["--pid", "abc"]), /--pid.*"abc"/],
    ["pid 0", () => load(["--pid", "0"]), /--pid/],
    ["negative pid", () => load(["--pid=-5"]), /--pid/],
    ["fractional pid", () => load(["--pid", "1.5"]), /--pid/],
    ["huge pid", () => load(["--pid", "99999999999999999999"]), /--pid/],
    ["listen without port", () => load(["--listen", "127.0.0.1"]), /--listen.*HOST:PORT/],
    ["listen port too big", () => load(["--listen", "0.0.0.0:99999"]), /--listen/],
    ["listen port not a number", () => load(["--listen", "localhost:http"]), /--listen/],
    ["listen from env", () => load([], { LEAKWATCH_LISTEN: "nope" }), /--listen.*"nope"/],
    ["log level", () => load(["--log-level", "loud"]), /--log-level/],
    ["linger", () => load(["--linger", "forever"]), /--linger.*"forever"/],
    ["discovery interval below 0.1s", () => load(["--discovery-interval", "10ms"]), /--discovery-interval.*0\.1s/],
    ["pss-max-rss", () => load(["--pss-max-rss", "lots"]), /--pss-max-rss/],
    ["bad target name", () => load(["--pid", "1", "--name", "has space"]), /--name/],
    ["unknown flag", () => load(["--frobnicate", "1"]), /--frobnicate/],
    ["two selectors", () => load(["--pid", "1", "--match", "x"]), /pid.*match|match.*pid/],
    ["--cgroup and a command", () => load(["--cgroup", "/x", "--", "node"]), /cgroup.*command/],
    ["--memory-limit without a command", () => load(["--pid", "1", "--memory-limit", "200m"]), /--memory-limit/],
    ["--restart without a command", () => load(["--match", "x", "--restart"]), /--restart/],
    ["--name without a target", () => load(["--name", "x"]), /--name/],
    // Node timers hold 2^31-1 ms: a longer duration used to become 1 ms (a dump every millisecond).
    ["--dump-every over 24 days", () => load(["--pid", "1", "--dump-every", "25d"]), /--dump-every.*at most 24 days/],
    ["--dump-timeout over 24 days", () => load(["--pid", "1", "--dump-timeout", "30d"]), /--dump-timeout.*at most 24 days/],
    ["--linger over 24 days", () => load(["--pid", "1", "--linger", "30d"]), /--linger.*at most 24 days/],
    // Target names are folders under --data-dir.
    ["--name .", () => load(["--pid", "1", "--name", "."]), /--name.*not \. or \.\./],
    ["--name ..", () => load(["--pid", "1", "--name", ".."]), /--name.*not \. or \.\./],
    ["an empty --match", () => load(["--match", ""]), /--match.*empty/],
    ["a --cgroup with ..", () => load(["--cgroup", "../../etc"]), /--cgroup.*without \.\. segments/],
  ];
  it.each(cases)("%s", (_what, fn, re) => {
    expect(configError(fn)).toMatch(re);
  });
});

describe("bad config files: one-line ConfigError", () => {
  const yamlCase = (text: string) => () => load(["-c", files.yaml(text)]);
  const cases: [string, () => unknown, RegExp][] = [
    ["unknown top-level key", yamlCase("listen: :1\nfrobnicate: 1\n"), /frobnicate/],
    ["kebab-case key", yamlCase("log-level: debug\n"), /log-level/],
    ["unknown key in a target", yamlCase("targets:\n  - pid: 1\n    memlimit: 5\n"), /targets\[0\].*memlimit/],
    ["invalid YAML", yamlCase("listen: [unclosed\n"), /config file .*config-\d+\.yaml/],
    ["YAML list at the top", yamlCase("- a\n- b\n"), /mapping/],
    ["YAML scalar at the top", yamlCase("hello\n"), /mapping/],
    ["targets not a list", yamlCase("targets:\n  pid: 1\n"), /targets: expected a list/],
    ["a target that is not a mapping", yamlCase("targets:\n  - node server.js\n"), /targets\[0\].*object/i],
    ["target without selector", yamlCase("targets:\n  - name: x\n"), /targets\[0\].*one of pid, match, cgroup or command/],
    ["target with two selectors", yamlCase("targets:\n  - {pid: 1, cgroup: /x}\n"), /targets\[0\].*pid and cgroup/],
    ["memoryLimit without command", yamlCase("targets:\n  - {pid: 1, memoryLimit: 1g}\n"), /targets\[0\]\.memoryLimit/],
    ["bad pid in a target", yamlCase("targets:\n  - pid: abc\n"), /targets\[0\]\.pid/],
    ["a pid of the wrong type", yamlCase("targets:\n  - pid: [1]\n"), /targets\[0\]\.pid: expected number or string, got array$/],
    ["bad regex in the second target", yamlCase("targets:\n  - pid: 1\n  - match: '('\n"), /targets\[1\]\.match/],
    ["duplicate names", yamlCase("targets:\n  - {name: api, pid: 1}\n  - {name: api, pid: 2}\n"), /targets\[1\]\.name.*duplicate.*"api"/],
    ["command not a list", yamlCase("targets:\n  - command: node server.js\n"), /targets\[0\]\.command/],
    ["empty command", yamlCase("targets:\n  - command: []\n"), /targets\[0\]\.command/],
    ["bad listen in the file", yamlCase("listen: 12\n"), /listen/],
    ["missing config file", () => load(["-c", path.join(files.dir, "nope.yaml")]), /cannot read config file .*nope\.yaml.*ENOENT/],
    [
      "config path is a directory",
      () => {
        const d = path.join(files.dir, "a-dir");
        mkdirSync(d, { recursive: true });
        return load(["-c", d]);
      },
      /cannot read config file .*a-dir.*EISDIR/,
    ],
    ["missing config file from env", () => load([], { LEAKWATCH_CONFIG: "/nonexistent/lw.yaml" }), /\/nonexistent\/lw\.yaml/],
  ];
  it.each(cases)("%s", (_what, fn, re) => {
    expect(configError(fn)).toMatch(re);
  });

  it("errors are ConfigError, not zod or YAML errors leaking through", () => {
    expect(() => load(["-c", files.yaml("targets: [ {pid: }\n")])).toThrow(ConfigError);
  });
});

describe("a subcommand's own defaults (leakwatch run's)", () => {
  const withRunDefaults = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(parseCli([...argv, "--", "node", "x.js"]), env, [], RUN_DEFAULTS);

  it("listen on loopback, linger 0 and log at warn unless told otherwise", () => {
    expect(withRunDefaults([])).toMatchObject({ listen: { host: "127.0.0.1", port: 9477 }, linger: 0, logLevel: "warn" });
    expect(loadConfig(parseCli(["--", "node", "x.js"]), {}).listen.host).toBe("0.0.0.0"); // serve keeps all interfaces
  });

  it("sit below the flags, the environment and the config file", () => {
    expect(withRunDefaults(["--listen", "0.0.0.0:9000"]).listen).toEqual({ host: "0.0.0.0", port: 9000 });
    expect(withRunDefaults([], { LEAKWATCH_LISTEN: "0.0.0.0:9001" }).listen).toEqual({ host: "0.0.0.0", port: 9001 });
    expect(withRunDefaults(["-c", files.yaml("listen: 0.0.0.0:9002\nlogLevel: debug\n")])).toMatchObject({
      listen: { host: "0.0.0.0", port: 9002 },
      logLevel: "debug",
    });
  });
});
