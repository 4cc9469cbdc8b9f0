// Where to send diagnostic IPC commands for a process: a runtime that advertised on leakwatch's listener (reverse
// mode), else the process's own diagnostic socket; a DumpError saying why when there is neither.
import { DumpError } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import { isRuntime } from "../../runtime-kit/detect.js";
import { DOTNET_SIGNATURE } from "./signature.js";
import { type DiagnosticEndpoint, SocketEndpoint, findDiagnosticSocket } from "./protocol/ipc.js";
import type { DiagnosticPortListener } from "./protocol/listener.js";

export interface EndpointOptions {
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  listener?: DiagnosticPortListener;
  socketDirs?: readonly string[];
}

export async function resolveEndpoint(pid: number, opts: EndpointOptions = {}): Promise<DiagnosticEndpoint> {
  const proc = opts.proc ?? new ProcFs();
  if (opts.listener !== undefined) {
    const pids = [pid, ...(await proc.namespacePids(pid))];
    try {
      const ep = opts.listener.endpointFor(pids);
      if (ep !== undefined) return ep;
    } catch (err) {
      throw new DumpError("attach_failed", (err as Error).message);
    }
  }
  const socket = await findDiagnosticSocket(pid, { proc, extraDirs: opts.socketDirs });
  if (socket !== undefined) return new SocketEndpoint(socket);
  // Provably not .NET (its mapped libraries are readable and none is the CoreCLR): say so; when /proc cannot tell,
  // the socket may just be out of sight.
  if ((await isRuntime(proc, pid, DOTNET_SIGNATURE)) === false) {
    throw new DumpError("not_supported", `process ${pid} is not a .NET process (no libcoreclr.so mapped): no diagnostic socket`);
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
