import { pino, type Logger } from "pino";

/** JSON lines on stderr (stdout belongs to a launched target's output and to commands such as `parse`). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: "leakwatch" } }, pino.destination({ fd: 2, sync: true }));
}
