/**
 * Downloading a job's log from the log host GitHub redirects to (`GET …/actions/jobs/{id}/logs` answers 302 with a
 * short-lived signed URL). Never more than `MAX_LOG_BYTES` are read, and the installation token is never sent
 * there (the URL carries its own signature).
 */

/** At most this much of a log is read. */
export const MAX_LOG_BYTES = 1024 * 1024;

export interface FetchedLog {
  text: string;
  /** The text starts mid-log (only the tail was read): its first line may be partial. */
  partialStart: boolean;
  /** More log exists than was read. */
  truncated: boolean;
}

/** Reads at most `max` bytes of a body, then cancels it. */
async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<{ bytes: Uint8Array; more: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const assemble = (more: boolean) => {
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { bytes, more };
  };
  if (!body) return assemble(false);
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return assemble(false);
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      await reader.cancel().catch(() => undefined);
      return assemble(true);
    }
    chunks.push(value);
    size += value.byteLength;
  }
}

const decode = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);

/**
 * The log at `location`, or its last `max` bytes when it is longer (a second request with `Range: bytes=<start>-`,
 * the form blob storage accepts); a host that ignores the range gives its first `max` bytes instead.
 */
export async function fetchLog(location: string, timeoutMs: number, max = MAX_LOG_BYTES): Promise<FetchedLog> {
  const url = new URL(location);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`log location is not http(s): ${url.protocol}`);
  const first = await fetch(url, { headers: { "user-agent": "daemon-hotfix" }, signal: AbortSignal.timeout(timeoutMs) });
  if (!first.ok) {
    await first.body?.cancel().catch(() => undefined);
    throw new Error(`the log host answered ${first.status}`);
  }
  const length = Number(first.headers.get("content-length"));
  if (!Number.isFinite(length) || length <= max) {
    const { bytes, more } = await readCapped(first.body, max);
    return { text: decode(bytes), partialStart: false, truncated: more };
  }
  await first.body?.cancel().catch(() => undefined);
  const tail = await fetch(url, { headers: { "user-agent": "daemon-hotfix", range: `bytes=${length - max}-` }, signal: AbortSignal.timeout(timeoutMs) });
  if (tail.status !== 206 && !tail.ok) {
    await tail.body?.cancel().catch(() => undefined);
    throw new Error(`the log host answered ${tail.status}`);
  }
  const { bytes } = await readCapped(tail.body, max);
  return { text: decode(bytes), partialStart: tail.status === 206, truncated: true };
}
