import { afterAll, describe, expect, it } from "vitest";
import { ProcFs } from "../../../../src/procfs/process.js";
import { rmSync } from "node:fs";
import { pino } from "pino";
import { JvmSource, classifyJcmdFailure } from "../../../../src/runtimes/jvm/source.js";
import { fakeProc } from "../../../helpers/fake-proc.js";

const JAVA = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
const root = fakeProc([
  // A JVM that inherited an ignored SIGQUIT and has no attach socket.
  { pid: 20, exe: JAVA, argv: ["java", "App"], status: ["SigIgn:\t0000000000000006"] },
  // Same, but started with -Xrs.
  { pid: 21, exe: JAVA, argv: ["java", "-Xrs", "App"], status: ["SigIgn:\t0000000000000000"] },
  { pid: 22, exe: JAVA, argv: ["java", "App"], environ: { JAVA_TOOL_OPTIONS: "-XX:+DisableAttachMechanism" } },
]);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function ctx(pid: number) {
  return {
    pid,
    command: "java App",
    signal: new AbortController().signal,
    privateDir: "/tmp",
    disposeRaw: async () => undefined,
    logger: pino({ level: "silent" }),
  };
}
// jcmd is never reached in these cases; /bin/false stands in so a mistake would fail loudly, not hang.
const source = new JvmSource({ proc: new ProcFs(root), jcmd: "/bin/false" });

describe("jvm source pre-checks (fake /proc)", () => {
  it("fails fast with attach_failed for a JVM that ignores SIGQUIT, naming -XX:+StartAttachListener", async () => {
    const err = await source.dump(ctx(20)).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "attach_failed" });
    expect((err as Error).message).toMatch(/ignores SIGQUIT.*-XX:\+StartAttachListener.*same user/s);
  });

  it("refuses a -Xrs JVM without an attach listener (SIGQUIT could kill it)", async () => {
    await expect(source.dump(ctx(21))).rejects.toMatchObject({ reason: "attach_failed", message: expect.stringMatching(/-Xrs/) });
  });

  it("reports not_supported with -XX:+DisableAttachMechanism (from JAVA_TOOL_OPTIONS)", async () => {
    await expect(source.dump(ctx(22))).rejects.toMatchObject({ reason: "not_supported" });
  });

  it("reports target_exited for a pid not in /proc", async () => {
    await expect(source.dump(ctx(23))).rejects.toMatchObject({ reason: "target_exited" });
  });
});

describe("classifyJcmdFailure", () => {
  const notResponding =
    "12917:\ncom.sun.tools.attach.AttachNotSupportedException: Unable to open socket file /tmp/.java_pid12917: target process 12917 doesn't respond within 10500ms or HotSpot VM not loaded\n\tat jdk.attach/sun.tools.attach.VirtualMachineImpl.<init>(VirtualMachineImpl.java:104)";

  it("explains a JVM that does not respond (ignored SIGQUIT, StartAttachListener, same user)", () => {
    const e = classifyJcmdFailure(12917, notResponding, true);
    expect(e.reason).toBe("attach_failed");
    expect(e.message).toMatch(/doesn't respond within 10500ms/);
    expect(e.message).toMatch(/SIGQUIT/);
    expect(e.message).toMatch(/-XX:\+StartAttachListener/);
    expect(e.message).toMatch(/same user/);
  });

  it("maps a gone process to target_exited", () => {
    expect(classifyJcmdFailure(1, "1:\njava.io.IOException: No such process\n\tat ...", true).reason).toBe("target_exited");
    expect(classifyJcmdFailure(1, "anything", false).reason).toBe("target_exited");
  });

  it("maps permission problems to attach_failed with the same-user hint", () => {
    const e = classifyJcmdFailure(5, "5:\ncom.sun.tools.attach.AttachNotSupportedException: well-known file /tmp/.java_pid5 is not secure", true);
    expect(e).toMatchObject({ reason: "attach_failed" });
    expect(e.message).toMatch(/same user/);
  });
});
