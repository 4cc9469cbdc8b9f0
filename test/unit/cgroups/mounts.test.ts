import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findMemoryMounts, parseMountinfo } from "../../../src/cgroups/mounts.js";
import { DOCKER_ID, fixtureDir, mountinfoFor, scratch } from "./fixture.js";

const tmp = scratch();
afterAll(() => tmp.cleanup());

describe("parseMountinfo", () => {
  it("reads root, mount point, fs type and super options around a variable number of optional fields", () => {
    const text = [
      "30 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory",
      "31 25 0:29 / /sys/fs/cgroup/pids rw,relatime shared:15 - cgroup cgroup rw,pids",
      "32 25 0:30 /docker/abc /sys/fs/cgroup/cpu rw,relatime shared:1 master:2 propagate_from:3 unbindable - cgroup none rw,cpu,cpuacct",
      "33 25 0:26 / /sys/fs/cgroup/unified rw shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
    ].join("\n");
    expect(parseMountinfo(text)).toEqual([
      { root: "/", mountPoint: "/sys/fs/cgroup/memory", fsType: "cgroup", superOptions: ["rw", "memory"] },
      { root: "/", mountPoint: "/sys/fs/cgroup/pids", fsType: "cgroup", superOptions: ["rw", "pids"] },
      { root: "/docker/abc", mountPoint: "/sys/fs/cgroup/cpu", fsType: "cgroup", superOptions: ["rw", "cpu", "cpuacct"] },
      {
        root: "/",
        mountPoint: "/sys/fs/cgroup/unified",
        fsType: "cgroup2",
        superOptions: ["rw", "nsdelegate", "memory_recursiveprot"],
      },
    ]);
  });

  it("unescapes octal sequences in root and mount point (space, tab, backslash)", () => {
    const text = String.raw`40 25 0:28 /a\040b /mnt/my\040cgroups\011x\134y rw - cgroup cgroup rw,memory`;
    const [e] = parseMountinfo(text);
    expect(e!.root).toBe("/a b");
    expect(e!.mountPoint).toBe("/mnt/my cgroups\tx\\y");
  });

  it("skips blank, truncated and separator-less lines instead of throwing", () => {
    const text = [
      "",
      "   ",
      "garbage without separator",
      "1 2 3 - cgroup cgroup rw,memory", // too few fields before " - "
      "30 25 0:28 / /m rw - cgroup", // too few after
      "30 25 0:28 / /ok rw - cgroup cgroup rw,memory",
      "",
    ].join("\n");
    expect(parseMountinfo(text).map((e) => e.mountPoint)).toEqual(["/ok"]);
  });
});

describe("findMemoryMounts on fixture trees", () => {
  it("v1: the memory controller's hierarchy, not name=systemd, cpu,cpuacct or pids", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "v1"));
    expect(m.v1).toEqual({ version: 1, mountPoint: fixtureDir("v1", "memory"), root: "/" });
    expect(m.v2).toBeUndefined();
    expect(m.memory).toEqual(m.v1);
  });

  it("v2: cgroup2 whose cgroup.controllers lists memory", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "v2"));
    expect(m.v1).toBeUndefined();
    expect(m.v2).toEqual({ version: 2, mountPoint: fixtureDir("v2", "cgroup"), root: "/" });
    expect(m.memory).toEqual(m.v2);
  });

  it("hybrid: cgroup2 (listed first, no controllers) and v1 memory → memory is v1", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "hybrid"));
    expect(m.v2).toEqual({ version: 2, mountPoint: fixtureDir("hybrid", "unified"), root: "/" });
    expect(m.v1).toEqual({ version: 1, mountPoint: fixtureDir("hybrid", "memory"), root: "/" });
    expect(m.memory?.version).toBe(1);
    expect(m.memory?.mountPoint).toBe(fixtureDir("hybrid", "memory"));
  });

  it("v2 mounted but the memory controller absent → no memory mount", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "v2-nomem"));
    expect(m.v2?.mountPoint).toBe(fixtureDir("v2-nomem", "cgroup"));
    expect(m.memory).toBeUndefined();
  });

  it("cgroup2 whose mount point has no cgroup.controllers → no memory mount, no throw", async () => {
    const file = path.join(tmp.dir, "gone.mountinfo");
    writeFileSync(file, `30 22 0:26 / ${tmp.dir}/does-not-exist rw - cgroup2 cgroup2 rw\n`);
    const m = await findMemoryMounts(file);
    expect(m.v2).toBeDefined();
    expect(m.memory).toBeUndefined();
  });

  it("no cgroup mounts at all → empty result", async () => {
    const file = path.join(tmp.dir, "none.mountinfo");
    writeFileSync(file, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
    expect(await findMemoryMounts(file)).toEqual({});
  });

  it("container with cgroupns: cgroup2 at its own cgroup, root /", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "v2-container"));
    expect(m.memory).toEqual({ version: 2, mountPoint: fixtureDir("v2-container", "cgroup"), root: "/" });
  });

  it("Docker container on v1 without cgroupns: the mount's root is the container's cgroup path", async () => {
    const m = await findMemoryMounts(mountinfoFor(tmp.dir, "v1", "mountinfo.docker"));
    expect(m.memory).toEqual({
      version: 1,
      mountPoint: fixtureDir("v1", "memory", "docker", DOCKER_ID),
      root: `/docker/${DOCKER_ID}`,
    });
  });

  it("fixture paths containing spaces survive mountinfo escaping", async () => {
    const spaced = path.join(tmp.dir, "with space");
    cpSync(fixtureDir("v2-nomem"), path.join(spaced, "v2-nomem"), { recursive: true });
    cpSync(fixtureDir("v2"), path.join(spaced, "v2"), { recursive: true });
    const file = path.join(tmp.dir, "spaced.mountinfo");
    const root = path.join(spaced, "v2").replaceAll(" ", "\\040");
    writeFileSync(file, readFileSync(fixtureDir("v2", "mountinfo"), "utf8").replaceAll("@ROOT@", root));
    const m = await findMemoryMounts(file);
    expect(m.memory?.mountPoint).toBe(path.join(spaced, "v2", "cgroup"));
  });

  it("a missing mountinfo file rejects", async () => {
    await expect(findMemoryMounts(path.join(tmp.dir, "nope"))).rejects.toThrow(/ENOENT/);
  });
});
