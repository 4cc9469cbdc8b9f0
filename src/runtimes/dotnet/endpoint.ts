// Where to send diagnostic IPC commands for a process: a runtime that advertised on leakwatch's listener (reverse
// mode), else the process's own diagnostic socket; a DumpError saying why when there is neither.
import { DumpError } from "../../model/dump.js";
import { detectRuntime } from "../detect.js";
import { type DiagnosticEndpoint, SocketEndpoint, findDiagnosticSocket, namespacePids } from "./protocol/ipc.js";
import type { DiagnosticPortListener } from "./protocol/listener.js";

export interface EndpointOptions {
  procRoot?: string;
  listener?: DiagnosticPortListener;
  socketDirs?: readonly string[];
}

export async function resolveEndpoint(pid: number, opts: EndpointOptions = {}): Promise<DiagnosticEndpoint> {
  const procRoot = opts.procRoot ?? "/proc";
  if (opts.listener !== undefined) {
    const pids = [pid, ...(await namespacePids(pid, procRoot))];
    try {
      const ep = opts.listener.endpointFor(pids);
      if (ep !== undefined) return ep;
    } catch (err) {
      throw new DumpError("attach_failed", (err as Error).message);
    }
  }
  const socket = await findDiagnosticSocket(pid, { procRoot, extraDirs: opts.socketDirs });
  if (socket !== undefined) return new SocketEndpoint(socket);
  const runtime = await detectRuntime(pid, procRoot);
  if (runtime !== "dotnet" && runtime !== "unknown") {
    throw new DumpError("not_supported", `process ${pid} is a ${runtime} process, not .NET: no diagnostic socket`);
  }
  throw new DumpError(
    "attach_failed",
    `no diagnostic socket dotnet-diagnostic-${pid}-*-socket for process ${pid} (looked in its TMPDIR and /tmp, through ` +
      `/proc/${pid}/root and directly${opts.socketDirs?.length ? `, and in ${opts.socketDirs.join(", ")}` : ""}` +
      `${opts.listener ? `; no runtime advertised it on ${opts.listener.socketPath}` : ""}). The target may run with ` +
      `DOTNET_EnableDiagnostics=0, in a container whose /tmp is not shared, or as another user; share /tmp, or start it ` +
      `with DOTNET_DiagnosticPorts pointing at a socket leakwatch listens on`,
  );
}
