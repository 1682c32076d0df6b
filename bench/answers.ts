/**
 * How the bench files an ingest answer. `200 queued` alone is a new event on the queue; a duplicate delivery is
 * also answered `queued` (its first delivery was) and a parked one is on its way (the queue refused it a moment):
 * they are told apart here, so "answered queued" never counts an event twice nor hides one still parked.
 */
export function answerKey(status: number, body: string): { key: string; fingerprint?: string } {
  let outcome = "";
  let fingerprint: string | undefined;
  try {
    const parsed = JSON.parse(body) as { output?: { status?: string; reason?: string; fingerprint?: string }; error?: string; code?: string };
    outcome = parsed.output?.status ?? parsed.code ?? parsed.error ?? "";
    const reason = parsed.output?.reason ?? "";
    if (outcome === "queued" && reason.startsWith("duplicate")) outcome = "queued (duplicate)";
    else if (outcome === "queued" && reason.startsWith("parked")) outcome = "queued (parked)";
    fingerprint = parsed.output?.fingerprint;
  } catch {
    outcome = body.slice(0, 40);
  }
  return { key: `${status} ${outcome}`.trim(), ...(fingerprint ? { fingerprint } : {}) };
}

/** Events the service took (on the queue, or parked to be sent again): every one must be counted. */
export function acceptedOf(answers: Readonly<Record<string, number>>): number {
  return (answers["200 queued"] ?? 0) + (answers["200 queued (parked)"] ?? 0);
}
