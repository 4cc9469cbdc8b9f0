// A launched target must not outlive leakwatch. Linux can tie a child's life to its parent (PR_SET_PDEATHSIG), but
// Node cannot reach it without native code; so each launched target gets a watchdog: a small detached /bin/sh that
// holds the read end of a pipe from leakwatch. When leakwatch dies — by any means, SIGKILL and a V8 fatal error
// included — the kernel closes the pipe, the watchdog reads end-of-file and does what leakwatch's stop would have
// done: SIGTERM to the target (only when pid and start time still match), SIGKILL after 5 s, then removes the
// target's memory cgroup, ending whatever else still runs in it. A leakwatch that stops normally tells it to stand
// down. The script is a constant; the cgroup directory arrives as a positional parameter, the pid and start time
// as lines on the pipe, never as code.
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { ProcessIdentity } from "../procfs/process.js";

export const WATCHDOG_NAME = "leakwatch-watchdog";

export const WATCHDOG_SCRIPT = `trap '' HUP INT
set -f
cg=$1 pid= start=
while read -r cmd a b; do
  case $cmd in
    arm) pid=$a start=$b ;;
    disarm) pid= ;;
    done) exit 0 ;;
  esac
done
alive() {
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  read -r s < "/proc/$pid/stat" || return 1
  set -- \${s##*") "}
  [ "$1" != Z ] && [ "$1" != X ] || return 1
  shift 19
  [ "$1" = "$start" ]
}
nap() { sleep 0.1 2>/dev/null || sleep 1; }
if alive; then
  kill -TERM "$pid" 2>/dev/null
  i=0
  while alive && [ $i -lt 50 ]; do nap; i=$((i + 1)); done
  alive && kill -KILL "$pid" 2>/dev/null
fi
if [ -n "$cg" ]; then
  i=0
  while [ -d "$cg" ] && [ $i -lt 50 ]; do
    rmdir "$cg" 2>/dev/null && break
    while read -r p; do kill -KILL "$p" 2>/dev/null; done < "$cg/cgroup.procs"
    nap
    i=$((i + 1))
  done
fi
`;

export class Watchdog {
  private readonly child: ChildProcess;
  private ended = false;

  /** Starts the watchdog of one launched target (cgroupDir: the memory cgroup leakwatch made for it, if any). */
  constructor(cgroupDir: string | undefined, log: Logger) {
    // Detached: a Ctrl-C or hang-up meant for leakwatch's terminal must not end the watchdog before leakwatch.
    this.child = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, WATCHDOG_NAME, cgroupDir ?? ""], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    this.child.on("error", (err) => log.warn({ err: err.message }, "cannot start the watchdog that ends a launched target if leakwatch dies"));
    this.child.stdin!.on("error", () => undefined);
    // Neither the watchdog nor its pipe may keep leakwatch's event loop alive.
    this.child.unref();
    (this.child.stdin as unknown as Socket).unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The target to end should leakwatch die. */
  arm(id: ProcessIdentity): void {
    this.send(`arm ${id.pid} ${id.startTime}\n`);
  }

  /** The target has exited (leakwatch reaped it): nothing to end, though the cgroup is still watched. */
  disarm(): void {
    this.send("disarm\n");
  }

  /** leakwatch has cleaned up itself: the watchdog exits without doing anything. */
  done(): void {
    this.send("done\n");
    this.ended = true;
    this.child.stdin?.end();
  }

  private send(line: string): void {
    if (this.ended) return;
    this.child.stdin?.write(line);
  }
}
