import type { RuntimeSignature } from "../../runtime-kit/detect.js";

/** A JVM: the java launcher, or any executable that maps libjvm.so (jlink images, custom launchers). */
export const JVM_SIGNATURE: RuntimeSignature = { exe: /^java(?:\d+)?$/, library: /^libjvm\.so$/ };
