// Host memory and load: context for the target's numbers (a target can be starved by its neighbours).
import os from "node:os";
import si from "systeminformation";
import { type Collector, type Emitter, gauge } from "./collector.js";

const TOTAL = gauge("leakwatch_host_memory_total_bytes", "Total memory of the host.");
const AVAILABLE = gauge("leakwatch_host_memory_available_bytes", "Memory available for new work without swapping (MemAvailable).");
const LOAD = gauge("leakwatch_host_load_average", "Host load average over 1, 5 and 15 minutes.");

export class HostCollector implements Collector {
  readonly name = "host";
  readonly metrics = [TOTAL, AVAILABLE, LOAD];

  async collect(out: Emitter): Promise<void> {
    // si.mem() reads /proc/meminfo; it spawns nothing.
    const mem = await si.mem();
    out.emit(TOTAL, {}, mem.total);
    out.emit(AVAILABLE, {}, mem.available);
    const [l1, l5, l15] = os.loadavg();
    out.emit(LOAD, { window: "1m" }, l1);
    out.emit(LOAD, { window: "5m" }, l5);
    out.emit(LOAD, { window: "15m" }, l15);
  }
}
