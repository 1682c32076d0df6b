import { isRunnerMessage } from "./annotations";
import { CI_LIMITS } from "./schema";

/**
 * Reading a GitHub Actions job log (`GET …/actions/jobs/{id}/logs`): every line starts with a timestamp
 * (`2026-11-20T10:01:21.1234567Z `), a step's section opens with `##[group]Run <command or action>` (its inputs
 * follow until `##[endgroup]`), errors are `##[error]…` lines, and post steps start with `Post job cleanup.`.
 * Pure, and linear in the log: anchored patterns and string operations only.
 */

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z ?/;
/** ANSI colour and cursor sequences (CSI … letter). */
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const GROUP = "##[group]";
const END_GROUP = "##[endgroup]";
const ERROR = "##[error]";
const POST = "Post job cleanup.";

/** The log's lines without timestamps, colour codes, carriage returns or a byte-order mark. */
export function logLines(raw: string, options: { partialFirstLine?: boolean } = {}): string[] {
  const text = raw.startsWith("\ufeff") ? raw.slice(1) : raw;
  const lines = text.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line).replace(TIMESTAMP, "").replace(ANSI, ""));
  if (options.partialFirstLine) lines.shift();
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

interface Section {
  /** `Run npm test` for `##[group]Run npm test`; null for the job's set-up lines before the first step. */
  header: string | null;
  start: number;
  end: number;
  post: boolean;
}

function sectionsOf(lines: readonly string[]): Section[] {
  const sections: Section[] = [];
  let post = false;
  let current: Section = { header: null, start: 0, end: 0, post: false };
  lines.forEach((line, index) => {
    const opensStep = line.startsWith(`${GROUP}Run `);
    const opensPost = line === POST;
    if (!opensStep && !opensPost) return;
    current.end = index;
    if (current.end > current.start || current.header !== null) sections.push(current);
    post = post || opensPost;
    current = { header: opensPost ? POST : line.slice(GROUP.length), start: index, end: index, post };
  });
  current.end = lines.length;
  sections.push(current);
  return sections;
}

function hasError(lines: readonly string[], section: Section): boolean {
  for (let i = section.start; i < section.end; i++) if (lines[i]?.startsWith(ERROR)) return true;
  return false;
}

/**
 * The failed step's section: the one opened by `##[group]<step name>` when the step is named as the runner names
 * it (`Run npm test`), else the first (non-post) section with an `##[error]` line, else the last one before the
 * post steps.
 */
function failedSection(lines: readonly string[], stepName: string | undefined): Section | undefined {
  const steps = sectionsOf(lines).filter((s) => !s.post);
  if (stepName) {
    const named = steps.find((s) => s.header === stepName);
    if (named) return named;
  }
  return steps.find((s) => hasError(lines, s)) ?? steps[steps.length - 1];
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export interface Excerpt {
  /** The section's header (`Run npm test`), when it had one. */
  step?: string;
  lines: string[];
}

/**
 * The failed step's last lines (at most `CI_LIMITS.excerptLines`, each clipped), ending at its last `##[error]`
 * line; group markers become plain lines. Not redacted here: the caller redacts before anything is kept.
 */
export function failedStepExcerpt(lines: readonly string[], stepName?: string): Excerpt {
  const section = failedSection(lines, stepName);
  if (!section) return { lines: [] };
  let end = section.end;
  for (let i = section.end - 1; i >= section.start; i--) {
    if (lines[i]?.startsWith(ERROR)) {
      end = i + 1;
      break;
    }
  }
  const kept: string[] = [];
  for (let i = section.start; i < end; i++) {
    const line = lines[i] ?? "";
    if (line === END_GROUP) continue;
    kept.push(clip(line.startsWith(GROUP) ? line.slice(GROUP.length) : line, CI_LIMITS.excerptLine));
  }
  while (kept.length > 0 && kept[kept.length - 1]?.trim() === "") kept.pop();
  return { ...(section.header && section.header !== POST ? { step: section.header } : {}), lines: kept.slice(-CI_LIMITS.excerptLines) };
}

/**
 * Lines that look like the error a tool printed: test runners' `FAIL`, compilers' `error:` / `error[E…]` and
 * `file(line,col): error TS…`, ESLint's `3:1  error`, `SomethingError:` / `…Exception`, npm's `ERR!`, Go's
 * `panic:`, Python's traceback, git's `fatal:`, and the crosses test reporters print. Anchored at the line's start
 * (after indentation); each branch is linear in the line.
 */
const ERROR_LOOKING =
  /^\s*(?:FAIL\b|npm ERR!|ERR!|ERROR\b|Error\b|error(?:\[|:|\s)|[A-Z][A-Za-z]{0,60}(?:Error|Exception)\b|panic:|Traceback \(most recent call last\)|fatal:|[✗×✖] |[^\s(]{1,300}\(\d{1,7},\d{1,7}\): error\b|\d{1,7}:\d{1,7}\s+error\b)/;

/**
 * The error line of an excerpt, for grouping when GitHub gave no error annotation: the first `##[error]` line that
 * is not the runner's generic one, else the first error-looking line, else none.
 */
export function errorLine(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    if (line.startsWith(ERROR)) {
      const message = line.slice(ERROR.length).trim();
      if (message && !isRunnerMessage(message)) return message;
    }
  }
  return lines.find((line) => !line.startsWith(ERROR) && ERROR_LOOKING.test(line))?.trim();
}
