import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cgroupDir, levelsUpToMount, memoryCgroupPath, parseProcCgroup } from "../../../src/cgroups/membership.js";
import { findMemoryMounts } from "../../../src/cgroups/mounts.js";
import { readCgroup, readCgroupV1, readCgroupV2 } from "../../../src/cgroups/read.js";
import type { CgroupMount } from "../../../src/cgroups/mounts.js";
import { APP_ID, DOCKER_ID, GiB, MiB, PAUSE_ID, POD_UID, UNLIMITED_V1, fixtureDir, mountinfoFor, scratch, writeTree } from "./fixture.js";

const tmp = scratch();
afterAll(() => tmp.cleanup());

const POD_ = POD_UID.replaceAll("-", "_");
const V1: CgroupMount = { version: 1, mountPoint: fixtureDir("v1", "memory"), root: "/" };
const V2: CgroupMount = { version: 2, mountPoint: fixtureDir("v2", "cgroup"), root: "/" };

/** Reads a cgroup the way the collector does: the directory and its ancestors up to the mount. */
function read(mount: CgroupMount, cgPath: string) {
  return readCgroup(mount.version, levelsUpToMount(mount, cgroupDir(mount, cgPath)));
}

describe("v1 (memory controller at <fixture>/memory)", () => {
  // kubepods 8 GiB (52 MiB left) → burstable unlimited → pod 1 GiB (900 MiB used) → container 2 GiB (800 MiB used).
  const container = `/kubepods/burstable/pod${POD_UID}/${APP_ID}`;

  it("nested: the pod (an ancestor) holds the tighter limit; headroom is the least over levels (kubepods)", async () => {
    const s = await read(V1, container);
    expect(s.version).toBe(1);
    expect(s.usage).toBe(800 * MiB);
    expect(s.limit).toBe(1 * GiB); // min(2 GiB, 1 GiB, ∞, 8 GiB, ∞)
    // min(2 GiB − 800 MiB, 1 GiB − 900 MiB, 8 GiB − (8 GiB − 52 MiB)) = 52 MiB
    expect(s.headroom).toBe(52 * MiB);
  });

  it("memsw − limit → swap limit; max_usage → peak; failcnt (+ memsw.failcnt) and oom_control's oom_kill", async () => {
    const s = await read(V1, container);
    expect(s.swapLimit).toBe(3 * GiB - 2 * GiB);
    expect(s.peak).toBe(960 * MiB);
    expect(s.events).toEqual({ failcnt: 17 + 3, oom_kill: 2 });
    expect(s.pressure).toEqual({});
    expect(s.high).toBeUndefined();
  });

  it("working set uses total_inactive_file (hierarchical), not the local inactive_file", async () => {
    const s = await read(V1, container);
    expect(s.workingSet).toBe(800 * MiB - 150 * MiB);
  });

  it("stat: the selected byte fields from the total_* lines, prefix removed; counters left out", async () => {
    const s = await read(V1, container);
    expect(s.stat).toEqual({
      cache: 200 * MiB,
      rss: 600 * MiB,
      rss_huge: 2 * MiB,
      shmem: 4096,
      mapped_file: 50 * MiB,
      dirty: 8192,
      writeback: 0,
      swap: 12288,
      active_anon: 628097024,
      inactive_anon: 1 * MiB,
      active_file: 50 * MiB,
      inactive_file: 150 * MiB,
      unevictable: 0,
    });
  });

  it(`"unlimited" (${UNLIMITED_V1}) at every level → limit, headroom and swap limit undefined`, async () => {
    const s = await read(V1, "/system.slice/app.service");
    expect(s.limit).toBeUndefined();
    expect(s.headroom).toBeUndefined();
    expect(s.swapLimit).toBeUndefined();
    expect(s.usage).toBe(314572800);
    expect(s.peak).toBe(400000000);
  });

  it("working set is floored at 0 when total_inactive_file exceeds usage", async () => {
    const s = await read(V1, "/system.slice/app.service");
    expect(s.workingSet).toBe(0);
  });

  it("no oom_kill line in oom_control (kernel < 4.13) → only failcnt", async () => {
    const s = await read(V1, "/system.slice/app.service");
    expect(s.events).toEqual({ failcnt: 0 });
  });

  it("missing memsw, max_usage, failcnt, oom_control and stat → those fields undefined/empty, no throw", async () => {
    const s = await read(V1, "/system.slice/minimal.service");
    expect(s.usage).toBe(100 * MiB);
    expect(s.limit).toBe(256 * MiB);
    expect(s.headroom).toBe(156 * MiB);
    expect(s.swapLimit).toBeUndefined();
    expect(s.peak).toBeUndefined();
    expect(s.events).toEqual({});
    expect(s.pressure).toEqual({});
    expect(s.stat).toEqual({});
    expect(s.workingSet).toBe(100 * MiB);
  });

  it("missing memory.usage_in_bytes → throws", async () => {
    await expect(read(V1, "/system.slice/broken.service")).rejects.toThrow(/no memory\.usage_in_bytes/);
  });

  it("memsw equal to the limit → swap limit 0 (not undefined)", async () => {
    const mount: CgroupMount = { version: 1, mountPoint: fixtureDir("v1", "memory", "docker", DOCKER_ID), root: `/docker/${DOCKER_ID}` };
    const s = await read(mount, `/docker/${DOCKER_ID}`);
    expect(s.swapLimit).toBe(0);
  });

  it("readCgroupV1 with a single level reads only that level", async () => {
    const s = await readCgroupV1([cgroupDir(V1, container)]);
    expect(s.limit).toBe(2 * GiB);
    expect(s.headroom).toBe(2 * GiB - 800 * MiB);
  });
});

describe("v2 (cgroup2 with memory in cgroup.controllers)", () => {
  const container = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${APP_ID}.scope`;

  it("nested: container max, pod 1 GiB → limit 1 GiB; headroom least over levels (kubepods, 52 MiB)", async () => {
    const s = await read(V2, container);
    expect(s.version).toBe(2);
    expect(s.usage).toBe(800 * MiB);
    expect(s.limit).toBe(1 * GiB);
    expect(s.headroom).toBe(52 * MiB);
  });

  it("memory.high max → undefined; swap.max 0 → 0; memory.peak", async () => {
    const s = await read(V2, container);
    expect(s.high).toBeUndefined();
    expect(s.swapLimit).toBe(0);
    expect(s.peak).toBe(960 * MiB);
  });

  it("memory.events: oom, oom_kill, high, max only (not low, oom_group_kill)", async () => {
    const s = await read(V2, container);
    expect(s.events).toEqual({ high: 0, max: 31, oom: 2, oom_kill: 1 });
  });

  it("memory.pressure totals (µs) → seconds", async () => {
    const s = await read(V2, container);
    expect(s.pressure.some).toBeCloseTo(1.234567, 9);
    expect(s.pressure.full).toBeCloseTo(0.345678, 9);
  });

  it("working set = usage − inactive_file; stat keeps byte fields, drops counters", async () => {
    const s = await read(V2, container);
    expect(s.workingSet).toBe(800 * MiB - 150 * MiB);
    expect(s.stat).toEqual({
      anon: 600 * MiB,
      file: 200 * MiB,
      kernel: 8 * MiB,
      kernel_stack: 1 * MiB,
      pagetables: 2 * MiB,
      sock: 0,
      shmem: 4096,
      file_mapped: 50 * MiB,
      file_dirty: 8192,
      file_writeback: 0,
      swapcached: 0,
      anon_thp: 2 * MiB,
      inactive_anon: 1 * MiB,
      active_anon: 628097024,
      inactive_file: 150 * MiB,
      active_file: 50 * MiB,
      unevictable: 0,
      slab: 4 * MiB,
      slab_reclaimable: 3 * MiB,
      slab_unreclaimable: 1 * MiB,
    });
    expect(s.stat).not.toHaveProperty("pgfault");
  });

  it("no memory.peak (kernel < 5.19) and no memory.pressure (PSI off) → undefined/empty, no throw", async () => {
    const s = await read(V2, "/system.slice/app.service");
    expect(s.peak).toBeUndefined();
    expect(s.pressure).toEqual({});
    expect(s.limit).toBe(512 * MiB);
    expect(s.headroom).toBe(512 * MiB - 300 * MiB);
    expect(s.high).toBe(384 * MiB);
    expect(s.swapLimit).toBeUndefined(); // memory.swap.max "max"
    expect(s.events).toEqual({ high: 12, max: 0, oom: 0, oom_kill: 0 });
    expect(s.workingSet).toBe(300 * MiB - 60 * MiB);
  });

  it("missing memory.current (controller not enabled) → throws", async () => {
    await expect(read(V2, "/system.slice/nomem.service")).rejects.toThrow(/no memory\.current/);
  });

  it("the root cgroup alone (no memory.max) → limit undefined", async () => {
    const tree = writeTree(path.join(tmp.dir, "v2-root"), { "memory.current": "1000", "memory.stat": "inactive_file 10" });
    const s = await readCgroupV2([tree]);
    expect(s.limit).toBeUndefined();
    expect(s.headroom).toBeUndefined();
    expect(s.workingSet).toBe(990);
  });
});

describe("generated trees", () => {
  it("an ancestor with a limit but no readable usage counts for the limit, not for headroom", async () => {
    const root = writeTree(path.join(tmp.dir, "nousage"), {
      "memory.max": "1000000", // no memory.current here
      "child/memory.max": "max",
      "child/memory.current": "400000",
    });
    const s = await readCgroupV2([path.join(root, "child"), root]);
    expect(s.limit).toBe(1000000);
    expect(s.headroom).toBeUndefined();
  });

  it("v1 and v2: a nearly full child under a roomy, tighter-limited parent", async () => {
    // child: limit 900, usage 880 → 20 left (the least); parent: limit 600 (the least), usage 100 → 500 left.
    const root = writeTree(path.join(tmp.dir, "full-child"), {
      "memory.max": "600",
      "memory.current": "100",
      "memory.limit_in_bytes": "600",
      "memory.usage_in_bytes": "100",
      "c/memory.max": "900",
      "c/memory.current": "880",
      "c/memory.limit_in_bytes": "900",
      "c/memory.usage_in_bytes": "880",
    });
    for (const reader of [readCgroupV1, readCgroupV2]) {
      const s = await reader([path.join(root, "c"), root]);
      expect(s.limit).toBe(600);
      expect(s.headroom).toBe(20);
    }
  });

  it("a level over its limit gives headroom 0, never negative", async () => {
    const root = writeTree(path.join(tmp.dir, "over"), { "memory.max": "1000", "memory.current": "1200" });
    const s = await readCgroupV2([root]);
    expect(s.headroom).toBe(0);
    expect(s.workingSet).toBe(1200);
  });

  it.each([
    ["x86_64 (4 KiB pages)", UNLIMITED_V1],
    ["arm64 (64 KiB pages)", "9223372036854710272"],
    ["ppc64 (64 KiB pages), no trailing newline", "9223372036854710272"],
  ])("v1 unlimited on %s → undefined", async (what, value) => {
    const root = writeTree(path.join(tmp.dir, `unl-${what.length}-${value.length}-${Math.random()}`), {
      "memory.limit_in_bytes": value,
      "memory.memsw.limit_in_bytes": value,
      "memory.usage_in_bytes": "4096",
    });
    const s = await readCgroupV1([root]);
    expect(s.limit).toBeUndefined();
    expect(s.swapLimit).toBeUndefined();
  });

  it("v1: limit set but memsw unlimited → swap limit undefined", async () => {
    const root = writeTree(path.join(tmp.dir, "memsw-unl"), {
      "memory.limit_in_bytes": String(512 * MiB),
      "memory.memsw.limit_in_bytes": UNLIMITED_V1,
      "memory.usage_in_bytes": "4096",
    });
    const s = await readCgroupV1([root]);
    expect(s.limit).toBe(512 * MiB);
    expect(s.swapLimit).toBeUndefined();
  });

  it("v2: a numeric memory.swap.max is the swap limit", async () => {
    const root = writeTree(path.join(tmp.dir, "swap"), { "memory.current": "1", "memory.swap.max": String(64 * MiB) });
    expect((await readCgroupV2([root])).swapLimit).toBe(64 * MiB);
  });

  it("a read error other than ENOENT propagates (memory.peak is a directory)", async () => {
    const root = writeTree(path.join(tmp.dir, "eisdir"), { "memory.current": "1" });
    mkdirSync(path.join(root, "memory.peak"));
    await expect(readCgroupV2([root])).rejects.toThrow(/EISDIR/);
  });

  it("a missing cgroup directory rejects (missing memory.current)", async () => {
    await expect(readCgroupV2([path.join(tmp.dir, "gone")])).rejects.toThrow();
    await expect(readCgroupV1([path.join(tmp.dir, "gone")])).rejects.toThrow();
  });
});

describe("from mountinfo and /proc/PID/cgroup to stats (the resolver's path)", () => {
  async function resolve(tree: string, procCgroup: string, file = "mountinfo") {
    const mounts = await findMemoryMounts(mountinfoFor(tmp.dir, tree, file));
    const mount = mounts.memory!;
    const cgPath = memoryCgroupPath(parseProcCgroup(procCgroup), mount)!;
    const dir = cgroupDir(mount, cgPath);
    return { mount, dir, stats: await readCgroup(mount.version, levelsUpToMount(mount, dir)) };
  }

  it("v1 Kubernetes container (cgroupfs driver)", async () => {
    const p = `/kubepods/burstable/pod${POD_UID}/${APP_ID}`;
    const { dir, stats } = await resolve("v1", `11:memory:${p}\n4:cpu,cpuacct:${p}\n1:name=systemd:${p}\n`);
    expect(dir).toBe(fixtureDir("v1", "memory", "kubepods", "burstable", `pod${POD_UID}`, APP_ID));
    expect(stats.limit).toBe(1 * GiB);
  });

  it("v2 Kubernetes container (systemd driver)", async () => {
    const p = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${PAUSE_ID}.scope`;
    const { stats } = await resolve("v2", `0::${p}\n`);
    expect(stats.usage).toBe(1 * MiB);
    expect(stats.limit).toBe(1 * GiB);
    expect(stats.headroom).toBe(52 * MiB);
  });

  it("hybrid: memory read as v1 although the process has a 0:: line", async () => {
    const { mount, stats } = await resolve("hybrid", "11:memory:/user.slice\n1:name=systemd:/user.slice/session-2.scope\n0::/user.slice/session-2.scope\n");
    expect(mount.version).toBe(1);
    expect(stats.version).toBe(1);
    expect(stats.limit).toBe(2 * GiB);
    expect(stats.headroom).toBe(1 * GiB);
  });

  it("container with a cgroup namespace: 0::/ and mount root /", async () => {
    const { dir, stats } = await resolve("v2-container", "0::/\n");
    expect(path.resolve(dir)).toBe(fixtureDir("v2-container", "cgroup"));
    expect(stats.limit).toBe(256 * MiB);
    expect(stats.headroom).toBe(156 * MiB);
    expect(stats.workingSet).toBe(80 * MiB);
    expect(stats.swapLimit).toBeUndefined();
  });

  it("Docker container that mounted its subtree (root /docker/<id>): its limit, no view of the host's levels", async () => {
    const { dir, stats } = await resolve("v1", `11:memory:/docker/${DOCKER_ID}\n`, "mountinfo.docker");
    expect(path.resolve(dir)).toBe(fixtureDir("v1", "memory", "docker", DOCKER_ID));
    expect(stats.limit).toBe(512 * MiB);
    expect(stats.headroom).toBe(412 * MiB);
    expect(stats.swapLimit).toBe(0);
    expect(stats.workingSet).toBe(100 * MiB - 4857600);
  });
});
