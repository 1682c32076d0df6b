import type { FailureMessage } from "./queue-message";

/** Cloudflare Queues refuse messages over 128 KB; ours stay under this, whatever the event held. */
export const MAX_MESSAGE_BYTES = 120 * 1024;

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).byteLength;

function cutTo(text: string, chars: number): string {
  return chars >= text.length ? text : `${text.slice(0, Math.max(0, chars))}…`;
}

/**
 * The message, trimmed to at most `maxBytes` of JSON (UTF-8): first the raw payload goes, then the oldest
 * log-trail lines and the detail (whichever is bigger gives way first), then the message itself. What was cut is listed in `failure.trimmed`, so
 * the issue says so. Ids, names and settings are bounded by their schemas and stay. Pure; a message that fits is
 * returned as it is.
 */
export function boundMessage(message: FailureMessage, maxBytes = MAX_MESSAGE_BYTES): FailureMessage {
  if (bytesOf(message) <= maxBytes) return message;
  const notes: string[] = [...(message.failure.trimmed ?? [])];
  const withNotes = (m: FailureMessage): FailureMessage => ({ ...m, failure: { ...m.failure, trimmed: notes } });
  // Room for the notes themselves.
  const budget = maxBytes - 512;
  let next: FailureMessage = message;
  if (next.raw !== undefined) {
    const { raw, ...rest } = next;
    notes.push(`raw payload: ${bytesOf(raw)} bytes`);
    next = rest;
  }
  // Then whichever of the log trail and the detail is bigger gives way, a step at a time: the oldest line, or
  // half of the detail.
  const lines = next.failure.logTrail;
  const detail = next.failure.detail ?? "";
  let dropLines = 0;
  let keepDetail = detail.length;
  const shaped = (): FailureMessage => {
    const failure = { ...next.failure, logTrail: lines.slice(dropLines) };
    if (next.failure.detail !== undefined) failure.detail = cutTo(detail, keepDetail);
    return { ...next, failure };
  };
  let candidate = shaped();
  while (bytesOf(candidate) > budget && (dropLines < lines.length || keepDetail > 0)) {
    const linesBytes = bytesOf(candidate.failure.logTrail);
    const detailBytes = bytesOf(candidate.failure.detail ?? "");
    if (dropLines < lines.length && (linesBytes >= detailBytes || keepDetail === 0)) dropLines++;
    else keepDetail = Math.floor(keepDetail / 2);
    candidate = shaped();
  }
  if (dropLines > 0) notes.push(`log trail: ${dropLines} oldest of ${lines.length} lines`);
  if (keepDetail < detail.length) notes.push(`detail: ${detail.length - keepDetail} of ${detail.length} characters`);
  // Last, the message itself.
  const text = candidate.failure.message;
  let keepMessage = text.length;
  while (bytesOf(candidate) > budget && keepMessage > 0) {
    keepMessage = Math.floor(keepMessage / 2);
    candidate = { ...candidate, failure: { ...candidate.failure, message: cutTo(text, keepMessage) } };
  }
  if (keepMessage < text.length) notes.push(`message: ${text.length - keepMessage} of ${text.length} characters`);
  next = candidate;
  return withNotes(next);
}
