/** The eight Unicode block elements, lowest to highest: readable in GitHub's markdown and in plain-text email. */
export const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/**
 * A sparkline of counts: one block per value, scaled to the largest. A zero is a space-like low dot (`·`), so an
 * empty hour never looks like a small one; any non-zero count shows at least the lowest block. Pure.
 */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((value) => {
      if (!(value > 0) || max === 0) return "·";
      const level = Math.min(BLOCKS.length - 1, Math.max(0, Math.ceil((value / max) * BLOCKS.length) - 1));
      return BLOCKS[level];
    })
    .join("");
}
