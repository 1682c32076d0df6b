/**
 * CPU accounting from /proc (Linux): how much CPU the bench process and the processes it started (wrangler's
 * node, workerd) used over a phase, and how busy workerd's busiest thread was — to see where time goes.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Sample {
  atMs: number;
  /** CPU seconds the whole machine spent busy (all processes, /proc/stat). */
  systemBusy: number;
  /** CPU seconds per process name (descendants of this process, plus "bench" for this process). */
  byName: Map<string, number>;
  /** CPU seconds per workerd thread id. */
  workerdThreads: Map<string, number>;
}

function statOf(path: string): { ppid: number; cpu: number; comm: string } | null {
  try {
    const text = readFileSync(path, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // fields[0] = state (field 3); utime = field 14, stime = field 15
    const ppid = Number(fields[1]);
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    return { ppid, cpu, comm };
  } catch {
    return null;
  }
}

function descendants(root: number): Map<number, string> {
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(`/proc/${entry}/stat`);
    if (s) parents.set(Number(entry), { ppid: s.ppid, comm: s.comm });
  }
  const out = new Map<number, string>();
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const [pid, info] of parents) {
      if (frontier.includes(info.ppid) && !out.has(pid)) {
        out.set(pid, info.comm);
        next.push(pid);
      }
    }
    frontier = next;
  }
  return out;
}

export function available(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}

function systemBusy(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function sample(): Sample {
  const byName = new Map<string, number>();
  const workerdThreads = new Map<string, number>();
  const self = statOf(`/proc/${process.pid}/stat`);
  byName.set("bench (node)", self?.cpu ?? 0);
  for (const [pid, comm] of descendants(process.pid)) {
    const s = statOf(`/proc/${pid}/stat`);
    if (!s) continue;
    // wrangler's node process shows as "node" or, by its main thread's name, "MainThread".
    const name = comm === "node" || comm === "MainThread" ? "wrangler (node)" : comm;
    byName.set(name, (byName.get(name) ?? 0) + s.cpu);
    if (comm === "workerd") {
      try {
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          const t = statOf(`/proc/${pid}/task/${tid}/stat`);
          if (t) workerdThreads.set(`${pid}/${tid}`, t.cpu);
        }
      } catch {
        // the process went away
      }
    }
  }
  return { atMs: Date.now(), systemBusy: systemBusy(), byName, workerdThreads };
}

export interface CpuUse {
  wallSeconds: number;
  /** CPU seconds per process name over the interval. */
  seconds: Record<string, number>;
  /** Share of one core used by workerd's busiest thread over the interval (1 = a full core). */
  busiestWorkerdThread: number;
  /** The same for workerd's busiest threads (up to 3), descending. */
  topWorkerdThreads: number[];
  /** Cores used by processes that are not the bench's (other work on the machine), over the interval. */
  otherCores: number;
}

export function between(a: Sample, b: Sample): CpuUse {
  const wallSeconds = (b.atMs - a.atMs) / 1000;
  const seconds: Record<string, number> = {};
  for (const [name, cpu] of b.byName) seconds[name] = Math.max(0, cpu - (a.byName.get(name) ?? 0));
  const threads = [...b.workerdThreads].map(([tid, cpu]) => (wallSeconds > 0 ? (cpu - (a.workerdThreads.get(tid) ?? 0)) / wallSeconds : 0)).sort((x, y) => y - x);
  const busiest = (threads[0] ?? 0) * wallSeconds;
  const ours = Object.values(seconds).reduce((x, y) => x + y, 0);
  const other = Math.max(0, b.systemBusy - a.systemBusy - ours);
  return { wallSeconds, seconds, busiestWorkerdThread: wallSeconds > 0 ? busiest / wallSeconds : 0, topWorkerdThreads: threads.slice(0, 3), otherCores: wallSeconds > 0 ? other / wallSeconds : 0 };
}

/** "workerd 0.93, bench (node) 0.06": cores used per process over the interval (those using ≥ 1 % of a core). */
export function describe(u: CpuUse | null | undefined): string {
  if (!u) return "n/a";
  return Object.entries(u.seconds)
    .filter(([, v]) => v / u.wallSeconds >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n} ${(v / u.wallSeconds).toFixed(2)}`)
    .join(", ");
}
