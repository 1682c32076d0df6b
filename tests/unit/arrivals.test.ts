import { describe, expect, it } from "vitest";
import { ARRIVAL_STEP_MS, ARRIVAL_STEPS, arrivalSteps, arrivalsOf } from "../../shared/arrivals";

describe("an aggregate's arrival steps", () => {
  it("reads the stored steps densely, and refuses anything else", () => {
    expect(arrivalSteps('{"s0":2,"s3":1}')).toEqual([2, 0, 0, 1]);
    for (const bad of [null, "", "not json", "[1,2]", '{"s0":-1}', '{"s0":1.5}', '{"x":1}', `{"s${ARRIVAL_STEPS}":1}`, '{"s1":{"2":1}}']) expect(arrivalSteps(bad)).toBeUndefined();
  });

  it("measures each event from the start of its step, or all from the first when the steps do not add up", () => {
    expect(arrivalsOf(10_000, 4, [2, 1, 0, 1])).toEqual([
      [10_000, 2],
      [10_000 + ARRIVAL_STEP_MS, 1],
      [10_000 + 3 * ARRIVAL_STEP_MS, 1],
    ]);
    expect(arrivalsOf(10_000, 5, [2, 1])).toEqual([[10_000, 5]]);
    expect(arrivalsOf(10_000, 3, undefined)).toEqual([[10_000, 3]]);
  });
});
