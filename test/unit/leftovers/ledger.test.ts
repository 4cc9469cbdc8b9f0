// The state file and the proofs behind each removal, on real files and this test's own process: what a dump
// records is removed when it ends; a requested file is told from the target's others by name, sequence and time;
// a recorded file is deleted only while it is still the same inode; a dead leakwatch's state file is cleaned up
// by the next start, a live one's is left alone.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Ledger } from "../../../src/leftovers/ledger.js";
import { cleanEarlierRuns } from "../../../src/leftovers/earlier.js";
import { selfOwner, settleFile, settleRequested, startTimeOf } from "../../../src/leftovers/settle.js";

const log = pino({ level: "silent" });
/** The shape of Node's heap snapshot names (the node runtime's SNAPSHOT_NAME). */
const NAMES = /^Heap\.\d{8}\.\d{6}\.(\d+)\.\d+\.(\d+)\.heapsnapshot$/;
const me = process.pid;
const snap = (pid: number, seq: number) => `Heap.20260101.120000.${pid}.0.${String(seq).padStart(3, "0")}.heapsnapshot`;

/** A pid no process has now: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "lw-ledger-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("settleRequested", () => {
  const entry = (before: string[], requestedAt = Date.now() - 5000) => ({
    kind: "requested" as const,
    dir,
    names: NAMES.source,
    pids: [me],
    startTime: startTimeOf(me),
    before,
    requestedAt,
  });

  it("deletes the process's lowest-numbered new file and nothing else", () => {
    for (const n of [snap(me, 1), snap(me, 3), snap(me, 4), snap(me + 1, 2), "notes.txt"]) writeFileSync(path.join(dir, n), "x");
    expect(settleRequested(entry([snap(me, 1)]))).toBe("done");
    expect(readdirSync(dir).sort()).toEqual([snap(me, 1), snap(me, 4), snap(me + 1, 2), "notes.txt"].sort());
  });

  it("leaves a file written before the request", () => {
    writeFileSync(path.join(dir, snap(me, 2)), "x");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, snap(me, 2)), old, old);
    // This process is alive and nothing new has appeared: the file may still come.
    expect(settleRequested(entry([], Date.now() - 1000))).toBe("kept");
    expect(existsSync(path.join(dir, snap(me, 2)))).toBe(true);
  });

  it("gives up on a target that is gone, and on one that has not written for an hour", () => {
    expect(settleRequested({ ...entry([]), pids: [deadPid()] })).toBe("done");
    expect(settleRequested(entry([], Date.now() - 3601_000))).toBe("done");
  });
});

describe("settleFile", () => {
  it("deletes the recorded inode only", () => {
    const f = path.join(dir, "a.raw");
    writeFileSync(f, "x");
    const ino = statSync(f).ino;
    // Another file now at the path (a different inode): not the one recorded, so it stays.
    settleFile({ kind: "file", path: f, ino: ino + 1 });
    expect(existsSync(f)).toBe(true);
    settleFile({ kind: "file", path: f, ino });
    expect(existsSync(f)).toBe(false);
  });
});

describe("Ledger", () => {
  it("writes what a dump records before it exists (0600), and removes it and the state file when the dump ends", () => {
    const ledger = new Ledger(dir, log);
    ledger.open();
    try {
      const scope = ledger.dumpScope(me);
      const raw = path.join(dir, "leakwatch-1-20260101T120000-1-abc.nettrace");
      scope.file(raw);
      const state = JSON.parse(readFileSync(ledger.file, "utf8"));
      expect(state.owner.pid).toBe(me);
      expect(state.entries).toEqual([{ kind: "file", path: raw }]);
      expect(statSync(ledger.file).mode & 0o777).toBe(0o600);
      writeFileSync(raw, "secret");
      scope.settle();
      expect(existsSync(raw)).toBe(false);
      expect(existsSync(ledger.file)).toBe(false);
    } finally {
      ledger.close();
    }
  });

  it("records a found file in place of the request that caused it", () => {
    const ledger = new Ledger(dir, log);
    ledger.open();
    try {
      const out = path.join(dir, "out");
      mkdirSync(out);
      writeFileSync(path.join(out, snap(me, 1)), "earlier");
      const scope = ledger.dumpScope(me);
      scope.requested(out, me, NAMES, [snap(me, 1)]);
      expect(ledger.list()).toMatchObject([{ kind: "requested", dir: out, before: [snap(me, 1)], pids: [me] }]);
      writeFileSync(path.join(out, snap(me, 2)), "ours");
      scope.file(path.join(out, snap(me, 2)));
      expect(ledger.list()).toMatchObject([{ kind: "file", path: path.join(out, snap(me, 2)) }]);
      scope.settle();
      expect(readdirSync(out)).toEqual([snap(me, 1)]);
    } finally {
      ledger.close();
    }
  });
});

describe("Ledger: a request not made", () => {
  it("is forgotten at once (a signal that could not be sent causes no file)", () => {
    const ledger = new Ledger(dir, log);
    ledger.open();
    try {
      const cancel = ledger.dumpScope(me).requested(dir, me, NAMES, []);
      expect(ledger.list()).toHaveLength(1);
      cancel();
      expect(ledger.list()).toEqual([]);
      expect(existsSync(ledger.file)).toBe(false);
    } finally {
      ledger.close();
    }
  });
});

describe("cleanEarlierRuns", () => {
  function writeState(pid: number, startTime: number, entries: unknown[]): string {
    mkdirSync(path.join(dir, "cleanup"), { recursive: true });
    const file = path.join(dir, "cleanup", `${pid}-1.json`);
    writeFileSync(file, JSON.stringify({ version: 1, owner: { ...selfOwner(), pid, startTime }, entries }));
    return file;
  }

  it("removes a dead leakwatch's files and state file, and leaves a live one's alone", async () => {
    const leftover = path.join(dir, "left.raw");
    const inFlight = path.join(dir, "in-flight.raw");
    writeFileSync(leftover, "x");
    writeFileSync(inFlight, "y");
    const dead = writeState(deadPid(), 1, [{ kind: "file", path: leftover }]);
    // A live leakwatch's state file: this test's parent process (pid and start time) plays it.
    const otherLive = writeState(process.ppid, startTimeOf(process.ppid)!, [{ kind: "file", path: inFlight }]);
    const ledger = new Ledger(dir, log);
    ledger.open();
    try {
      const report = await cleanEarlierRuns({ dataDir: dir, ledger, log });
      expect(report.states).toBe(1);
      expect(existsSync(leftover)).toBe(false);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(inFlight)).toBe(true);
      expect(existsSync(otherLive)).toBe(true);
    } finally {
      ledger.close();
    }
  });

  it("sweeps raw files named by a dead leakwatch, not a live one's", async () => {
    const raw = path.join(dir, "raw", "svc");
    mkdirSync(raw, { recursive: true });
    const deadOne = path.join(raw, `leakwatch-42-20260101T120000-${deadPid()}-abc123.gcdump`);
    const liveOne = path.join(raw, `leakwatch-42-20260101T120000-${process.ppid}-abc123.gcdump`);
    const notOurs = path.join(raw, "leakwatch-notes.txt");
    for (const f of [deadOne, liveOne, notOurs]) writeFileSync(f, "x");
    const ledger = new Ledger(dir, log);
    ledger.open();
    try {
      await cleanEarlierRuns({ dataDir: dir, ledger, log });
    } finally {
      ledger.close();
    }
    expect([existsSync(deadOne), existsSync(liveOne), existsSync(notOurs)]).toEqual([false, true, true]);
  });
});
