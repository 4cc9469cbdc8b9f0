// The native .NET heap source and its building blocks: diagnostic IPC, EventPipe sessions, the nettrace decoder.
export { DotnetEventPipeSource, createDotnetEventPipeSource, type DotnetEventPipeSourceOptions } from "./eventpipe-source.js";
export { DiagnosticPortListener, type AdvertisedRuntime, type DiagnosticPortListenerOptions } from "./protocol/listener.js";
export { DotnetCountersSession, type CounterReading, type CountersSessionOptions, parseCounterPayload, unitFactor } from "./protocol/counters.js";
export { resolveEndpoint, type EndpointOptions } from "./endpoint.js";
export {
  DiagnosticIpcError,
  type DiagnosticEndpoint,
  type EventPipeProvider,
  IpcConnection,
  type ProcessInfo,
  SocketEndpoint,
  findDiagnosticSocket,
  requestProcessInfo,
  resumeRuntime,
} from "./protocol/ipc.js";
export { EventPipeSession, type SessionEnd, type SessionOptions } from "./protocol/session.js";
export { NettraceDecoder, type EventHeader, type EventMetadata, type NettraceHandler, type NettraceStats } from "./protocol/nettrace.js";
export { HeapDumpAggregator, gcdumpTypeName } from "./heapdump.js";
export { GC_HEAP_SNAPSHOT_KEYWORDS, RUNTIME_PROVIDER } from "./protocol/events.js";
