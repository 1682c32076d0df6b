import { Buffer } from "node:buffer";
import { brotliDecompressSync, constants } from "node:zlib";
import { AppError } from "../errors";

/** Largest decompressed event payload accepted: bounds a brotli bomb hidden in a 1 MiB body. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** Decodes the kernel's `eventPayload` (brotli, then base64: plugin-sdk `compressString`) into JSON. */
export function decodeEventPayload(encoded: string): unknown {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new AppError(400, "invalid_event_payload", "eventPayload is not base64", [{ path: "eventPayload", message: "must be base64 of a brotli-compressed JSON document" }]);
  }
  let text: string;
  try {
    const compressed = Buffer.from(encoded, "base64");
    text = brotliDecompressSync(compressed, { maxOutputLength: MAX_EVENT_BYTES, params: { [constants.BROTLI_DECODER_PARAM_LARGE_WINDOW]: 0 } }).toString("utf8");
  } catch (error) {
    const tooBig = error instanceof RangeError || (error instanceof Error && /max|buffer|length/i.test(error.message));
    if (tooBig) throw new AppError(413, "payload_too_large", `eventPayload decompresses to more than ${MAX_EVENT_BYTES} bytes`);
    throw new AppError(400, "invalid_event_payload", "eventPayload is not brotli-compressed", [{ path: "eventPayload", message: "must be base64 of a brotli-compressed JSON document" }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError(400, "invalid_event_payload", "eventPayload does not hold JSON", [{ path: "eventPayload", message: "decompressed content is not JSON" }]);
  }
}
