// Creating the --memory-limit cgroup on v1 and v2 trees (plain directories standing in for cgroupfs: the kernel's
// own files are written as the real ones would be, which is what this checks).
import { afterEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createMemoryCgroup } from "../../../src/cgroups/create.js";

let root: string;
afterEach(async () => rm(root, { recursive: true, force: true }));

describe("createMemoryCgroup", () => {
  it("v2: enables memory for children of leakwatch's cgroup, sets memory.max and no swap, removes it", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "lw-cg2-"));
    const own = path.join(root, "user.slice", "lw.scope");
    await mkdir(own, { recursive: true });
    await writeFile(path.join(own, "cgroup.subtree_control"), "");
    const self = path.join(root, "self-cgroup");
    await writeFile(self, "0::/user.slice/lw.scope\n");
    const mount = { version: 2 as const, mountPoint: root, root: "/" };
    // The kernel creates these when the directory appears; pre-create them as the child's files.
    const dir = path.join(own, "leakwatch-1-demo");
    await mkdir(dir);
    await writeFile(path.join(dir, "memory.swap.max"), "max\n");
    const cg = await createMemoryCgroup(mount, "leakwatch-1-demo", 300 * 1024 * 1024, { selfCgroupFile: self });
    expect(cg.dir).toBe(dir);
    expect(cg.procsFile).toBe(path.join(dir, "cgroup.procs"));
    expect(await readFile(path.join(own, "cgroup.subtree_control"), "utf8")).toBe("+memory");
    expect(await readFile(path.join(dir, "memory.max"), "utf8")).toBe(String(300 * 1024 * 1024));
    expect(await readFile(path.join(dir, "memory.swap.max"), "utf8")).toBe("0");
    // rmdir of a cgroup succeeds with its control files present; a plain directory needs them gone first.
    for (const f of await readdir(dir)) await rm(path.join(dir, f));
    await cg.remove();
    expect(await readdir(own)).not.toContain("leakwatch-1-demo");
  });

  it("v1: writes limit_in_bytes and memsw equal to it (no swap) under leakwatch's own cgroup", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "lw-cg1-"));
    const own = path.join(root, "docker", "abc");
    const dir = path.join(own, "leakwatch-2-x");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
    const self = path.join(root, "self-cgroup");
    await writeFile(self, "4:memory:/docker/abc\n0::/\n");
    const cg = await createMemoryCgroup({ version: 1, mountPoint: root, root: "/" }, "leakwatch-2-x", 209715200, { selfCgroupFile: self });
    expect(cg.dir).toBe(dir);
    expect(await readFile(path.join(dir, "memory.limit_in_bytes"), "utf8")).toBe("209715200");
    expect(await readFile(path.join(dir, "memory.memsw.limit_in_bytes"), "utf8")).toBe("209715200");
  });

  it("says what to run instead when the tree is not writable (EPERM)", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "lw-cg-ro-"));
    const self = path.join(root, "self-cgroup");
    await writeFile(self, "4:memory:/\n");
    // sysfs refuses mkdir even to root, the way a cgroup tree refuses an unprivileged user.
    const err = await createMemoryCgroup({ version: 1, mountPoint: "/sys/kernel", root: "/" }, "lw", 200 * 1024 * 1024, { selfCgroupFile: self }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot create memory cgroup \/sys\/kernel\/lw \(EPERM\): run leakwatch as root/);
    expect((err as Error).message).toContain("systemd-run --user --scope -p MemoryMax=200M");
    expect((err as Error).message).toContain("docker run --memory=200m");
    expect((err as Error).message.split("\n")).toHaveLength(1);
  });
});
