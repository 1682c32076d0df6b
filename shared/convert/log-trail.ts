import { blankPemBlocks, type Redactor } from "../redact";
import { LIMITS, sanitize } from "./text";

/** The kernel's own line for a failed dispatch: `ERROR Error processing plugin; skipping | plugin=… err="…"`. */
const KERNEL_ERROR = /Error (?:processing plugin|dispatching)\b/;
/** Any line logged at error level. */
const ERROR_LEVEL = /\b(?:ERROR|FATAL)\b/;

export interface LogTrail {
  /** The trail's first lines (non-empty, each clipped): the kernel keeps the first 40 it logged, so do we. */
  lines: string[];
  /**
   * The kernel's error line, looked for anywhere in the trail — the kernel's line for the failed dispatch, else
   * the last error-level line — or absent when the trail holds none (the kernel cuts its trail after 40 lines).
   */
  errorLine?: string;
}

function lastMatching(lines: readonly string[], pattern: RegExp): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line !== undefined && pattern.test(line)) return line;
  }
  return undefined;
}

/** The head of a log trail and its error line (see `LogTrail`), each line sanitised (see `sanitize`) and clipped. */
export function readLogTrail(raw: readonly string[] | null | undefined, redactor?: Redactor): LogTrail {
  // A PEM key logged across lines is blanked whole first: its body lines alone look like nothing secret.
  const lines = blankPemBlocks(raw ?? []).filter((line) => line.trim().length > 0);
  const found = lastMatching(lines, KERNEL_ERROR) ?? lastMatching(lines, ERROR_LEVEL);
  const errorLine = found === undefined ? "" : sanitize(found, LIMITS.logLine, redactor);
  return {
    lines: lines
      .slice(0, LIMITS.logLines)
      .map((line) => sanitize(line, LIMITS.logLine, redactor))
      .filter((line) => line.length > 0),
    ...(errorLine ? { errorLine } : {}),
  };
}
