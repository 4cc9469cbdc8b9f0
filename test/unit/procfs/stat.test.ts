import { describe, expect, it } from "vitest";
import { parseStat } from "../../../src/procfs/stat.js";

/** A full 52-field stat line, as the kernel prints it, for a given comm. */
function statLine(comm: string, o: { pid?: number; state?: string; ppid?: number } = {}): string {
  const pid = o.pid ?? 321;
  // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice
  // threads itreal starttime vsize rss rsslim …
  const after = [
    o.state ?? "S",
    o.ppid ?? 300,
    321,
    321,
    0,
    -1,
    4194560,
    52311,
    0,
    12,
    0,
    1520,
    305,
    7,
    8,
    20,
    0,
    11,
    0,
    889412,
    1143873536,
    51234,
    "18446744073709551615",
    94355060830208,
    94355105114741,
    140728420571536,
    0,
    0,
    0,
    0,
    16781312,
    134234626,
    0,
    0,
    0,
    17,
    1,
    0,
    0,
    0,
    0,
    0,
    94355112862320,
    94355113171012,
    94355125198848,
    140728420575845,
    140728420575870,
    140728420575870,
    140728420577765,
    0,
  ];
  return `${pid} (${comm}) ${after.join(" ")}\n`;
}

const FIELDS = { ppid: 300, utime: 1520, stime: 305, startTime: 889412, vsize: 1143873536, rssPages: 51234 };

describe("parseStat", () => {
  it("a line captured from a real kernel (cat reading /proc/self/stat)", () => {
    const line =
      "13033 (cat) R 13031 13031 4634 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 89828 3133440 379 " +
      "18446744073709551615 94479476977664 94479476997545 140723358920288 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 " +
      "94479477013552 94479477015168 94479683121152 140723358923039 140723358923059 140723358923059 140723358924779 0\n";
    expect(parseStat(line)).toEqual({
      pid: 13033,
      comm: "cat",
      state: "R",
      ppid: 13031,
      flags: 4194304,
      utime: 0,
      stime: 0,
      startTime: 89828,
      vsize: 3133440,
      rssPages: 379,
    });
  });

  it.each([
    ["plain", "node"],
    ["spaces", "my app"],
    ["double spaces", "a  b"],
    ["a `)` inside", "a)b"],
    ["a `(` inside", "a(b"],
    ["`) (` sequence", ") ("],
    ["`a) b (c`", "a) b (c"],
    ["systemd's (sd-pam)", "(sd-pam)"],
    ["only closing parens", "))))"],
    ["only opening parens", "(((("],
    ["a fake field sequence", "x) Z 999 0 ("],
    ["ends in `) `", "tricky) "],
    ["starts with a space", " lead"],
    ["digits", "123 456"],
    ["empty", ""],
    ["non-ASCII", "café ☕"],
    ["a newline (prctl allows it)", "a\nb)"],
    ["15 chars, all specials", ") ( ) ( ) ( ) ("],
  ])("comm with %s: %j", (_what, comm) => {
    const s = parseStat(statLine(comm));
    expect(s.comm).toBe(comm);
    expect(s.pid).toBe(321);
    expect(s.state).toBe("S");
    expect(s).toMatchObject(FIELDS);
  });

  it("state letters pass through (zombie, idle kernel thread)", () => {
    expect(parseStat(statLine("z", { state: "Z" })).state).toBe("Z");
    expect(parseStat(statLine("kworker/u4:2-events_unbound", { state: "I", ppid: 2 }))).toMatchObject({
      comm: "kworker/u4:2-events_unbound",
      state: "I",
      ppid: 2,
    });
  });

  it("no trailing newline is fine", () => {
    expect(parseStat(statLine("x").trimEnd()).startTime).toBe(889412);
  });

  it.each([
    ["empty", ""],
    ["no parentheses", "321 node S 1 2 3"],
    ["no closing parenthesis", "321 (node S 1 2 3"],
    ["truncated after comm", "321 (node) S 1 2 3 4 5"],
  ])("malformed (%s) throws", (_what, text) => {
    expect(() => parseStat(text)).toThrow(/malformed \/proc\/PID\/stat/);
  });
});
