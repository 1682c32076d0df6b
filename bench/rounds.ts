/** The alternating concurrency-50 rounds (bench/run.ts), read as one figure. Pure. */

/** What a round's ratio is read from (an `IngestRound` of bench/ingest.ts). */
export interface RoundRates {
  floor: { requestsPerSecond: number };
  ingest: { eventsPerSecond: number };
}

/** The rounds' ingest/floor throughput ratios, and their median (NaN without rounds). */
export function roundRatios(rounds: readonly RoundRates[]): { ratios: number[]; median: number } {
  const ratios = rounds.map((r) => r.ingest.eventsPerSecond / r.floor.requestsPerSecond);
  const sorted = [...ratios].sort((a, b) => a - b);
  return { ratios, median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN };
}
