// Nothing served without a token reveals a secret: a launched target whose command line holds a password and a
// token, and a load URL with an API key in its query string. /metrics, the read-only API and the load status show
// the names, never the values.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { waitFor } from "../helpers/env.js";

const idle = path.resolve(__dirname, "../fixtures/programs/idle.js");
let daemon: Daemon | undefined;
let dataDir = "";

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe("secrets in command lines and URLs", () => {
  it("are not served by /metrics, /api/v1/targets or the load status", async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-secrets-"));
    const argv = [
      "--name",
      "svc",
      "--data-dir",
      dataDir,
      "--heap-source",
      "none",
      "--load-url",
      "http://127.0.0.1:9/orders?apikey=TOPSECRET-KEY",
      "--load-rate",
      "1",
    ];
    const config = loadConfig(parseCli([...argv, "--", process.execPath, idle, "--db-password=HUNTER2", "--token", "TOKEN-VALUE"]), {});
    daemon = new Daemon(config, pino({ level: "silent" }), {});
    await daemon.start({ listen: false });
    const d = daemon;
    // The launched command shows in /proc once the program has exec'd.
    await waitFor(async () => (d.targets.targets[0]!.command.includes("idle.js") ? true : undefined), 10_000, "the target's command line");

    const metrics = (await request(d.app).get("/metrics")).text;
    const targets = JSON.stringify((await request(d.app).get("/api/v1/targets")).body);
    const load = JSON.stringify((await request(d.app).get("/api/v1/targets/svc/load")).body);
    for (const served of [metrics, targets, load]) {
      expect(served).not.toContain("HUNTER2");
      expect(served).not.toContain("TOKEN-VALUE");
      expect(served).not.toContain("TOPSECRET");
    }
    // What is shown is still useful: the program, the option names, the URL without its secret.
    expect(metrics).toMatch(/leakwatch_target_info\{[^}]*command="[^"]*idle\.js --db-password=\*\*\* --token \*\*\*"/);
    expect(targets).toContain("--db-password=***");
    expect(load).toContain("http://127.0.0.1:9/orders?apikey=***");
  });
});
