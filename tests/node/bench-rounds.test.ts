import { describe, expect, it } from "vitest";
import { roundRatios } from "../../bench/rounds.ts";

const round = (floorPerSecond: number, eventsPerSecond: number) => ({ floor: { requestsPerSecond: floorPerSecond }, ingest: { eventsPerSecond } });

describe("the bench's alternating ingest rounds", () => {
  it("read the target as the median of the rounds' own ratios, not a ratio of totals", () => {
    const { ratios, median } = roundRatios([round(1000, 400), round(500, 300), round(800, 400)]);
    expect(ratios).toEqual([0.4, 0.6, 0.5]);
    expect(median).toBe(0.5);
  });

  it("without rounds there is no figure (the target then misses)", () => {
    expect(Number.isNaN(roundRatios([]).median)).toBe(true);
  });
});
