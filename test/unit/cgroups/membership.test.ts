import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CgroupMount } from "../../../src/cgroups/mounts.js";
import { cgroupDir, cgroupPathOf, levelsUpToMount, memoryCgroupPath, parseProcCgroup } from "../../../src/cgroups/membership.js";
import { APP_ID, DOCKER_ID, POD_UID, fixtureDir } from "./fixture.js";

const POD_ = POD_UID.replaceAll("-", "_");
const V1: CgroupMount = { version: 1, mountPoint: fixtureDir("v1", "memory"), root: "/" };
const V2: CgroupMount = { version: 2, mountPoint: fixtureDir("v2", "cgroup"), root: "/" };
const V1_K8S_PATH = `/kubepods/burstable/pod${POD_UID}/${APP_ID}`;
const V2_K8S_PATH = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${APP_ID}.scope`;

describe("parseProcCgroup", () => {
  it("v1 lines: one entry per controller, co-mounted controllers split, named hierarchies kept", () => {
    const text = [`12:pids:${V1_K8S_PATH}`, `11:memory:${V1_K8S_PATH}`, `4:cpu,cpuacct:${V1_K8S_PATH}`, `1:name=systemd:${V1_K8S_PATH}`, ""].join("\n");
    const c = parseProcCgroup(text);
    expect(c.v2).toBeUndefined();
    expect(c.v1.get("memory")).toBe(V1_K8S_PATH);
    expect(c.v1.get("cpu")).toBe(V1_K8S_PATH);
    expect(c.v1.get("cpuacct")).toBe(V1_K8S_PATH);
    expect(c.v1.get("name=systemd")).toBe(V1_K8S_PATH);
    expect([...c.v1.keys()].sort()).toEqual(["cpu", "cpuacct", "memory", "name=systemd", "pids"]);
  });

  it("v2: the 0:: line", () => {
    expect(parseProcCgroup(`0::${V2_K8S_PATH}\n`)).toEqual({ v1: new Map(), v2: V2_K8S_PATH });
  });

  it("container view: 0::/", () => {
    expect(parseProcCgroup("0::/\n").v2).toBe("/");
  });

  it("hybrid: v1 lines plus a 0:: line for the unified hierarchy", () => {
    const c = parseProcCgroup("11:memory:/user.slice\n1:name=systemd:/user.slice/session-1.scope\n0::/user.slice/session-1.scope\n");
    expect(c.v1.get("memory")).toBe("/user.slice");
    expect(c.v2).toBe("/user.slice/session-1.scope");
    expect(memoryCgroupPath(c, V1)).toBe("/user.slice");
    expect(memoryCgroupPath(c, V2)).toBe("/user.slice/session-1.scope");
  });

  it("keeps colons inside the path (only the first two separate fields)", () => {
    expect(parseProcCgroup("0::/weird:name/x").v2).toBe("/weird:name/x");
    expect(parseProcCgroup("5:memory:/a:b").v1.get("memory")).toBe("/a:b");
  });

  it("ignores blank and malformed lines", () => {
    const c = parseProcCgroup("\nnonsense\n7:memory\n0::/ok\n");
    expect(c.v2).toBe("/ok");
    expect(c.v1.size).toBe(0);
  });

  it("memoryCgroupPath: undefined when the process is not in that hierarchy", () => {
    expect(memoryCgroupPath(parseProcCgroup("0::/x\n"), V1)).toBeUndefined();
    expect(memoryCgroupPath(parseProcCgroup("4:cpu:/x\n"), V2)).toBeUndefined();
  });
});

describe("cgroupDir", () => {
  it("Kubernetes pod path, cgroupfs driver (v1): /kubepods/burstable/pod<uid>/<container>", () => {
    const dir = cgroupDir(V1, V1_K8S_PATH);
    expect(dir).toBe(path.join(fixtureDir("v1", "memory"), "kubepods", "burstable", `pod${POD_UID}`, APP_ID));
    expect(existsSync(path.join(dir, "memory.usage_in_bytes"))).toBe(true);
  });

  it("Kubernetes pod path, systemd driver (v2): kubepods-burstable-pod….slice/cri-containerd-….scope", () => {
    const dir = cgroupDir(V2, V2_K8S_PATH);
    expect(dir).toBe(fixtureDir("v2", "cgroup") + V2_K8S_PATH);
    expect(existsSync(path.join(dir, "memory.current"))).toBe(true);
  });

  it("container view: 0::/ with mount root / is the mount point itself", () => {
    const mount: CgroupMount = { version: 2, mountPoint: fixtureDir("v2-container", "cgroup"), root: "/" };
    const cg = memoryCgroupPath(parseProcCgroup("0::/\n"), mount)!;
    expect(cgroupDir(mount, cg)).toBe(fixtureDir("v2-container", "cgroup"));
  });

  describe("a container that mounted its own subtree (root /docker/<id>)", () => {
    const mount: CgroupMount = {
      version: 1,
      mountPoint: fixtureDir("v1", "memory", "docker", DOCKER_ID),
      root: `/docker/${DOCKER_ID}`,
    };
    it("its own cgroup is the mount point", () => {
      expect(cgroupDir(mount, `/docker/${DOCKER_ID}`)).toBe(mount.mountPoint);
    });
    it("a sub-cgroup is below the mount point, with the root stripped", () => {
      expect(cgroupDir(mount, `/docker/${DOCKER_ID}/worker/a`)).toBe(path.join(mount.mountPoint, "worker", "a"));
    });
    it("a sibling whose name merely starts with the id is not stripped", () => {
      expect(cgroupDir(mount, `/docker/${DOCKER_ID}-other`)).toBe(path.join(mount.mountPoint, "docker", `${DOCKER_ID}-other`));
    });
  });

  it("never escapes the mount point with ..", () => {
    for (const p of ["/../../etc", "/..", "/a/../../../etc/passwd", "../x"]) {
      const dir = cgroupDir(V2, p);
      expect(dir === V2.mountPoint || dir.startsWith(V2.mountPoint + "/"), `${p} → ${dir}`).toBe(true);
    }
  });

  it("normalises doubled and trailing slashes", () => {
    expect(cgroupDir(V2, "//system.slice///app.service/")).toBe(path.join(V2.mountPoint, "system.slice", "app.service"));
    expect(cgroupDir(V2, "/")).toBe(V2.mountPoint);
  });
});

describe("levelsUpToMount", () => {
  it("the cgroup and every ancestor up to and including the mount point, nearest first", () => {
    const dir = cgroupDir(V1, V1_K8S_PATH);
    const m = V1.mountPoint;
    expect(levelsUpToMount(V1, dir)).toEqual([
      dir,
      path.join(m, "kubepods", "burstable", `pod${POD_UID}`),
      path.join(m, "kubepods", "burstable"),
      path.join(m, "kubepods"),
      m,
    ]);
  });

  it("the mount point alone when the cgroup is the mount point (trailing slash too)", () => {
    expect(levelsUpToMount(V2, V2.mountPoint)).toEqual([V2.mountPoint]);
    expect(levelsUpToMount(V2, V2.mountPoint + "/")).toEqual([V2.mountPoint]);
  });

  it("does not climb above the mount point for a directory outside it", () => {
    expect(levelsUpToMount(V2, "/somewhere/else")).toEqual(["/somewhere/else"]);
    // A sibling directory sharing the mount point's name as a prefix is outside it.
    expect(levelsUpToMount(V2, V2.mountPoint + "-sibling/x")).toEqual([V2.mountPoint + "-sibling/x"]);
  });
});

describe("cgroupPathOf", () => {
  it("inverts cgroupDir for host mounts", () => {
    for (const p of [V1_K8S_PATH, "/system.slice/app.service", "/"]) {
      expect(cgroupPathOf(V1, cgroupDir(V1, p))).toBe(p);
    }
    expect(cgroupPathOf(V2, cgroupDir(V2, V2_K8S_PATH))).toBe(V2_K8S_PATH);
  });

  it("puts the mount root back for a subtree mount", () => {
    const mount: CgroupMount = {
      version: 1,
      mountPoint: fixtureDir("v1", "memory", "docker", DOCKER_ID),
      root: `/docker/${DOCKER_ID}`,
    };
    expect(cgroupPathOf(mount, mount.mountPoint)).toBe(`/docker/${DOCKER_ID}`);
    expect(cgroupPathOf(mount, path.join(mount.mountPoint, "worker"))).toBe(`/docker/${DOCKER_ID}/worker`);
    expect(cgroupDir(mount, cgroupPathOf(mount, path.join(mount.mountPoint, "worker")))).toBe(path.join(mount.mountPoint, "worker"));
  });

  it("the mount point of a cgroupns container is /", () => {
    const mount: CgroupMount = { version: 2, mountPoint: fixtureDir("v2-container", "cgroup"), root: "/" };
    expect(cgroupPathOf(mount, mount.mountPoint)).toBe("/");
  });
});
