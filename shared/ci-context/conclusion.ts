/** How an issue says a CI conclusion: `Workflow "CI" failed`, `… timed out`, `… failed to start`. */
export const CONCLUSION_TEXT: Readonly<Record<string, string>> = {
  failure: "failed",
  timed_out: "timed out",
  startup_failure: "failed to start",
};

export function conclusionText(conclusion: string | undefined): string {
  const c = (conclusion ?? "failure").toLowerCase();
  return CONCLUSION_TEXT[c] ?? c;
}
