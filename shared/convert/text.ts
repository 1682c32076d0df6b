import { boundForScan, createRedactor, type Redactor } from "../redact";

/** Bounds on what a failure carries, so one event cannot bloat the queue, storage or an issue body. */
export const LIMITS = {
  message: 4_000,
  detail: 8_000,
  logLines: 40,
  logLine: 500,
} as const;

export function clip(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

/**
 * ANSI escape sequences (ECMA-48), each removed whole: CSI (colours, cursor moves: ESC [ or 0x9B, parameter
 * bytes, intermediate bytes, a final byte), OSC/DCS/APC/PM/SOS strings up to their BEL or ST terminator (OSC 8
 * hyperlinks carry URLs), and two-character escapes. Disjoint classes in sequence: linear in the text (recheck
 * proves it, tests/node/redaction-linear.test.ts). strip-ansi's pattern was not provably linear.
 */
export const ANSI_ESCAPES = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]P^_X]|[\u009d\u0090\u009e\u009f\u0098])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -~]?/g;
/** Control characters other than tab and newline (after the escape sequences are removed whole). */
export const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** ANSI escape sequences and other control characters removed; `\r\n` and a lone `\r` → `\n`. */
export function stripControls(text: string): string {
  return text.replace(ANSI_ESCAPES, "").replace(/\r\n?/g, "\n").replace(CONTROLS, "");
}

const plainRedactor = createRedactor();

/**
 * How far past the clip the patterns look: a token that starts before the clip ends within this (the longest
 * formats are a few hundred characters; a PEM key cut here is still redacted, as a cut-off key).
 */
const TOKEN_REACH = 4096;

/**
 * Event text as a failure carries it: bounded before any pattern runs, control characters stripped, secrets
 * redacted — before clipping, so a token on the clip boundary is removed whole — then clipped to `max`.
 */
export function sanitize(text: string, max: number, redactor: Redactor = plainRedactor): string {
  return clip(redactor.string(stripControls(boundForScan(text, max + TOKEN_REACH))), max);
}

/** A timestamp as ISO 8601 when it parses, else the fallback. */
export function isoOr(value: string | null | undefined, fallback: string): string {
  if (!value) return fallback;
  const time = Date.parse(value);
  return Number.isNaN(time) ? fallback : new Date(time).toISOString();
}

/** Copies the entries whose value is neither null nor undefined (optional fields stay absent, not null). */
export function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], null | undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== null && value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], null | undefined> };
}
