/**
 * The storm: N events over the fingerprints, Zipf-skewed (every fingerprint at least once), in a seeded random
 * order, at a steady rate. The baseline replays exactly this sequence and these arrival times.
 */
import { prng, shuffle, zipfCounts } from "./stats.ts";

export interface StormPlan {
  events: number;
  fingerprints: number;
  zipfExponent: number;
  durationMs: number;
  /** Events per fingerprint (index = rank). */
  perFingerprint: number[];
  /** Fingerprint index of the i-th event. */
  order: number[];
  /** Arrival offset (ms from the first event) of the i-th event. */
  offsetMs: number[];
}

/** A fingerprint first sent late in the storm: `events` occurrences, the first at `atMs`, the rest spread after. */
export interface LateFingerprint {
  events: number;
  atMs: number;
}

/**
 * `events` in all; with `late`, its events belong to one more fingerprint (index `fingerprints`, after the
 * Zipf-skewed ones) that is first sent `late.atMs` into the storm.
 */
export function planStorm(events: number, fingerprints: number, zipfExponent: number, durationMs: number, seed = 42, late?: LateFingerprint): StormPlan {
  const lateEvents = late?.events ?? 0;
  const perFingerprint = zipfCounts(events - lateEvents, fingerprints, zipfExponent);
  const order = shuffle(
    perFingerprint.flatMap((count, index) => Array.from({ length: count }, () => index)),
    prng(seed),
  );
  const gap = durationMs / events;
  if (late && lateEvents > 0) {
    // Insert the late fingerprint's events at their times: the first at late.atMs, then evenly to the end.
    const first = Math.round(late.atMs / gap);
    const step = Math.max(1, Math.floor((events - first) / lateEvents));
    for (let k = 0; k < lateEvents; k++) order.splice(Math.min(order.length, first + k * step), 0, fingerprints);
    perFingerprint.push(lateEvents);
  }
  return { events, fingerprints: perFingerprint.length, zipfExponent, durationMs, perFingerprint, order, offsetMs: order.map((_, i) => i * gap) };
}

/** Calls `fire(i)` for each event at its offset from now (open loop: never waits for answers). */
export async function replay(plan: StormPlan, fire: (i: number) => void): Promise<{ startedAtMs: number; maxLateMs: number }> {
  const startedAtMs = Date.now();
  const t0 = performance.now();
  let i = 0;
  let maxLateMs = 0;
  while (i < plan.events) {
    const now = performance.now() - t0;
    while (i < plan.events && (plan.offsetMs[i] ?? 0) <= now) {
      maxLateMs = Math.max(maxLateMs, now - (plan.offsetMs[i] ?? 0));
      fire(i);
      i++;
    }
    if (i < plan.events) {
      const wait = Math.max(1, Math.min(20, (plan.offsetMs[i] ?? 0) - (performance.now() - t0)));
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  return { startedAtMs, maxLateMs };
}
