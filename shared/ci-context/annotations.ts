import { CI_LIMITS, type CiAnnotation } from "./schema";

/** The fields of a check-run annotation (`GET /repos/{o}/{r}/check-runs/{id}/annotations`) that are read. */
export interface AnnotationInput {
  path: string;
  start_line: number;
  annotation_level: string | null;
  title: string | null;
  message: string | null;
}

/**
 * Messages the Actions runner adds to every failed or stopped step: true, but they say nothing about *what*
 * broke, so they do not count as "an error annotation" (the log is read instead) and come last.
 */
const RUNNER_MESSAGES = [
  "Process completed with exit code",
  "The operation was canceled",
  "The job was canceled because",
  "The strategy configuration was canceled",
  "The runner has received a shutdown signal",
  "The job running on runner",
  "The job has exceeded the maximum execution time",
  "Error: Process completed with exit code",
];

/** True for the runner's own generic failure messages. */
export function isRunnerMessage(message: string): boolean {
  const text = message.trim();
  return RUNNER_MESSAGES.some((prefix) => text.startsWith(prefix));
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * The error-level annotations (`failure`), specific ones first (in GitHub's order), the runner's generic ones after
 * them; at most `CI_LIMITS.annotations`, messages clipped. `redact` is applied to every text kept.
 */
export function errorAnnotations(list: readonly AnnotationInput[], redact: (text: string) => string): CiAnnotation[] {
  const errors = list.filter((a) => a.annotation_level === "failure" && (a.message ?? "").trim() !== "");
  const specific = errors.filter((a) => !isRunnerMessage(a.message ?? ""));
  const generic = errors.filter((a) => isRunnerMessage(a.message ?? ""));
  return [...specific, ...generic].slice(0, CI_LIMITS.annotations).map((a) => ({
    path: clip(redact(a.path), 500),
    line: a.start_line,
    level: "failure",
    ...(a.title ? { title: clip(redact(a.title), CI_LIMITS.name) } : {}),
    message: clip(redact((a.message ?? "").trim()), CI_LIMITS.annotationMessage),
  }));
}

/** The first annotation that says what broke (not the runner's generic message), if any. */
export function firstSpecific(annotations: readonly CiAnnotation[]): CiAnnotation | undefined {
  return annotations.find((a) => !isRunnerMessage(a.message));
}
