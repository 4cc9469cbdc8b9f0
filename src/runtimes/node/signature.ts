import type { RuntimeSignature } from "../../runtime-kit/detect.js";

/**
 * Node: its executable (node, nodejs, node20, node-v20.1.0…), or libnode.so — which embedders of other runtimes
 * may load too, hence weak.
 */
export const NODE_SIGNATURE: RuntimeSignature = { exe: /^(?:node|nodejs)(?:[-_.]?v?\d+(?:\.\d+)*)?$/, library: /^libnode\.so(?:\.\d+)*$/, weakLibrary: true };
