import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cgroupPids } from "../../../src/cgroups/create.js";
import { APP_ID, PAUSE_ID, POD_UID, fixtureDir, scratch, writeTree } from "./fixture.js";

const tmp = scratch();
afterAll(() => tmp.cleanup());
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

describe("cgroupPids", () => {
  it("v2: a service whose processes sit only in descendant cgroups (no internal processes)", async () => {
    const pids = await cgroupPids(fixtureDir("v2", "cgroup", "system.slice", "app.service"));
    expect(sorted(pids)).toEqual([5000, 5001, 5002, 5003]);
  });

  it("v2: a pod slice collects both containers' scopes", async () => {
    const pod = fixtureDir("v2", "cgroup", "kubepods.slice", "kubepods-burstable.slice", `kubepods-burstable-pod${POD_UID.replaceAll("-", "_")}.slice`);
    expect(sorted(await cgroupPids(pod))).toEqual([4100, 4242, 4250]);
  });

  it("v1: pod directory → pause and app containers", async () => {
    const pod = fixtureDir("v1", "memory", "kubepods", "burstable", `pod${POD_UID}`);
    expect(sorted(await cgroupPids(pod))).toEqual([4100, 4242, 4243]);
    expect(sorted(await cgroupPids(path.join(pod, APP_ID)))).toEqual([4242, 4243]);
    expect(await cgroupPids(path.join(pod, PAUSE_ID))).toEqual([4100]);
  });

  it("a leaf's own processes; empty cgroup.procs → []", async () => {
    expect(sorted(await cgroupPids(fixtureDir("v2", "cgroup", "system.slice", "app.service", "worker", "pool")))).toEqual([5003]);
    expect(await cgroupPids(fixtureDir("v2", "cgroup", "system.slice", "app.service", "worker", "pool", "idle"))).toEqual([]);
  });

  it("the whole v1 hierarchy from its root", async () => {
    expect(sorted(await cgroupPids(fixtureDir("v1", "memory")))).toEqual([1, 1, 2, 7, 900, 4100, 4242, 4243].sort((a, b) => a - b));
  });

  it("a directory without cgroup.procs (not a cgroup, or gone) → []", async () => {
    expect(await cgroupPids(path.join(tmp.dir, "nothing-here"))).toEqual([]);
    mkdirSync(path.join(tmp.dir, "empty-dir"));
    expect(await cgroupPids(path.join(tmp.dir, "empty-dir"))).toEqual([]);
  });

  it("walks deep trees (generated) and ignores blank lines", async () => {
    const files: Record<string, string> = { "cgroup.procs": "" };
    let rel = "";
    for (let i = 1; i <= 10; i++) {
      rel = path.join(rel, `l${i}`);
      files[path.join(rel, "cgroup.procs")] = `${100 + i}\n\n`;
    }
    const root = writeTree(path.join(tmp.dir, "deep"), files);
    expect(sorted(await cgroupPids(root))).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
  });
});
