// Plain aligned tables for the terminal, and the small formatters their cells use.

/**
 * @template T
 * @typedef {{ header: string, value: (row: T) => unknown, max?: number, align?: "left" | "right" }} Column
 */

/**
 * `text` cut to `max` characters, ending in "…" when cut. Newlines become spaces.
 * @param {string} text
 * @param {number} [max]
 */
export function truncate(text, max) {
  const flat = text.replace(/\s*\r?\n\s*/g, " ");
  if (max === undefined || [...flat].length <= max) return flat;
  return `${[...flat].slice(0, Math.max(0, max - 1)).join("")}…`;
}

/**
 * A cell's text: "-" for nothing.
 * @param {unknown} value
 */
export function cell(value) {
  if (value === null || value === undefined || value === "") return "-";
  return String(value);
}

/**
 * An ISO time without its milliseconds (2026-11-20T10:15:30Z); anything else as it came.
 * @param {unknown} value an ISO string or epoch milliseconds
 */
export function time(value) {
  if (value === null || value === undefined || value === "") return "-";
  const date = new Date(/** @type {any} */ (value));
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The rows as lines of aligned columns (two spaces apart), headers first. No trailing spaces.
 * @template T
 * @param {Column<T>[]} columns
 * @param {T[]} rows
 * @returns {string}
 */
export function renderTable(columns, rows) {
  const cells = rows.map((row) => columns.map((c) => truncate(cell(c.value(row)), c.max)));
  const widths = columns.map((c, i) => Math.max([...c.header].length, ...cells.map((r) => [...r[i]].length)));
  const line = (/** @type {string[]} */ values) =>
    values
      .map((v, i) => {
        const pad = " ".repeat(widths[i] - [...v].length);
        return columns[i].align === "right" ? pad + v : v + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join("\n");
}

/**
 * "1 dead letter" / "3 dead letters".
 * @param {number} n
 * @param {string} singular
 * @param {string} [plural]
 */
export function count(n, singular, plural = `${singular}s`) {
  return `${n} ${n === 1 ? singular : plural}`;
}
