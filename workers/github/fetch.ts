/** fetch bounded by a timeout: a hanging GitHub becomes a transient failure, not a stuck consumer. */
export function timedFetch(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
