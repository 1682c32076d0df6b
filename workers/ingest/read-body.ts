import { AppError } from "../errors";

/** Largest plugin-input body accepted (contract: 1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** 415 unless the body is declared JSON (`application/json`, any parameters, any `+json` type). */
export function assertJsonContentType(contentType: string | undefined): void {
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new AppError(415, "unsupported_media_type", `Content-Type must be application/json, got "${mediaType || "none"}"`);
  }
}

const tooLarge = () => new AppError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);

/**
 * Reads the body as text, refusing more than `MAX_BODY_BYTES` — by the declared length before reading anything,
 * and by counting while streaming when no length (or a false one) was declared.
 */
export async function readBoundedText(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw tooLarge();
  if (!request.body) return "";
  // A declared length bounds what the runtime reads: the body is taken at once.
  if (Number.isFinite(declared) && declared >= 0) return utf8(new Uint8Array(await request.arrayBuffer()));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return utf8(bytes);
}

function utf8(bytes: Uint8Array): string {
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError(400, "invalid_json", "body is not valid UTF-8");
  }
}

/** 400 unless the text is JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError(400, "invalid_json", `body is not valid JSON: ${error instanceof Error ? error.message : "parse error"}`);
  }
}
