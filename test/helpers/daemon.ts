// Runs a leakwatch Daemon in-process from command-line words, as the CLI would, for supertest.
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { parseExposition, type Sample } from "./metrics.js";

export interface TestDaemon {
  daemon: Daemon;
  scrape(): Promise<Sample[]>;
  exited: Promise<number>;
  stop(): Promise<void>;
}

export async function startDaemon(argv: string[]): Promise<TestDaemon> {
  const config = loadConfig(parseCli(argv), {});
  let onExit: (s: number) => void = () => undefined;
  const exited = new Promise<number>((r) => (onExit = r));
  const logger = pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" });
  const daemon = new Daemon(config, logger, { onAllExited: onExit });
  await daemon.start({ listen: false });
  return {
    daemon,
    exited,
    async scrape() {
      const res = await request(daemon.app).get("/metrics").expect(200);
      return parseExposition(res.text);
    },
    stop: () => daemon.stop(),
  };
}
