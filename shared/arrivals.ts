/**
 * When the events of an aggregate (gathered or shed at a repo's gate) arrived: how many in each `ARRIVAL_STEP_MS`
 * after the first of them, so the consumer measures each event's counting lag from its own arrival (to a step),
 * not from the aggregate's first. Pure.
 */

/** The width of one step of an aggregate's arrivals. */
export const ARRIVAL_STEP_MS = 250;
/**
 * Steps kept: events later than the last step are counted in it (an aggregate spans GATHER_SECONDS, ≤ 10 s). The
 * gate computes an event's step in SQL (workers/durable/repo-gate.ts: `countShed` for a shed event, as it counts
 * it; `closeAggregates` for the gathered ones, from their deliveries).
 */
export const ARRIVAL_STEPS = 64;

/** Counts per step as a dense array (`{ s0: 5, s3: 1 }` → `[5, 0, 0, 1]`); undefined when the text is not that. */
export function arrivalSteps(stored: string | null): number[] | undefined {
  if (!stored) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const steps: number[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const step = /^s(\d{1,2})$/.exec(key)?.[1];
    if (step === undefined || Number(step) >= ARRIVAL_STEPS || !Number.isInteger(value) || (value as number) < 0) return undefined;
    steps[Number(step)] = value as number;
  }
  return Array.from(steps, (n) => n ?? 0);
}

/**
 * The aggregate's events as `[arrivedMs, count]`, each at the start of its step — never later than it really
 * arrived, so no lag is understated. Without steps (or steps that do not add up to `count`): all at `firstMs`.
 */
export function arrivalsOf(firstMs: number, count: number, steps: readonly number[] | undefined): Array<[number, number]> {
  if (!steps || steps.reduce((sum, n) => sum + n, 0) !== count) return [[firstMs, count]];
  const out: Array<[number, number]> = [];
  steps.forEach((n, i) => {
    if (n > 0) out.push([firstMs + i * ARRIVAL_STEP_MS, n]);
  });
  return out;
}
