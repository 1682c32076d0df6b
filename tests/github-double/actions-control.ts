/** The control API's JSON for Actions state (`POST /_double/actions/runs`, `POST /_double/check-runs`), checked. */
import type { AnnotationSpec, CheckRunSpec, JobSpec, RunSpec, StepSpec } from "./actions.ts";
import { isObject } from "./spec.ts";
import type { JsonObject } from "./spec.ts";

const REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const STEP_CONCLUSIONS = ["success", "failure", "skipped", "cancelled"];
const JOB_CONCLUSIONS = ["success", "failure", "cancelled", "skipped", "timed_out"];

class Bad extends Error {}

function str(raw: JsonObject, key: string, required: true): string;
function str(raw: JsonObject, key: string, required?: false): string | undefined;
function str(raw: JsonObject, key: string, required = false): string | undefined {
  const value = raw[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "string" || value === "") throw new Bad(`${key} must be a non-empty string`);
  return value;
}

function int(raw: JsonObject, key: string, required = false): number | undefined {
  const value = raw[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Bad(`${key} must be a non-negative integer`);
  return value;
}

function oneOf<T extends string>(raw: JsonObject, key: string, allowed: readonly string[]): T | undefined {
  const value = str(raw, key);
  if (value !== undefined && !allowed.includes(value)) throw new Bad(`${key} must be one of ${allowed.join(", ")}`);
  return value as T | undefined;
}

function list(raw: JsonObject, key: string): JsonObject[] {
  const value = raw[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new Bad(`${key} must be an array of objects`);
  return value as JsonObject[];
}

function lines(raw: JsonObject, key: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((l) => typeof l === "string")) throw new Bad(`${key} must be an array of strings`);
  return value as string[];
}

function annotation(raw: JsonObject): AnnotationSpec {
  const title = str(raw, "title");
  const level = oneOf<NonNullable<AnnotationSpec["level"]>>(raw, "level", ["failure", "warning", "notice"]);
  return { path: str(raw, "path", true), startLine: int(raw, "startLine", true) ?? 1, message: str(raw, "message", true), ...(level ? { level } : {}), ...(title ? { title } : {}) };
}

function step(raw: JsonObject): StepSpec {
  const command = str(raw, "command");
  const conclusion = oneOf<NonNullable<StepSpec["conclusion"]>>(raw, "conclusion", STEP_CONCLUSIONS);
  const log = lines(raw, "log");
  return { name: str(raw, "name", true), ...(command ? { command } : {}), ...(conclusion ? { conclusion } : {}), ...(log ? { log } : {}) };
}

function job(raw: JsonObject): JobSpec {
  const conclusion = oneOf<NonNullable<JobSpec["conclusion"]>>(raw, "conclusion", JOB_CONCLUSIONS);
  const paddingBytes = int(raw, "paddingBytes");
  return { name: str(raw, "name", true), steps: list(raw, "steps").map(step), annotations: list(raw, "annotations").map(annotation), ...(conclusion ? { conclusion } : {}), ...(paddingBytes !== undefined ? { paddingBytes } : {}) };
}

function repo(raw: JsonObject): string {
  const value = str(raw, "repo", true);
  if (!REPO.test(value)) throw new Bad("repo must be owner/repo");
  return value;
}

function optional<T extends Record<string, unknown>>(entries: T): Partial<T> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A run spec from control-API JSON, or what is wrong with it. */
export function runSpecFromJson(raw: JsonObject): RunSpec | string {
  try {
    return {
      repo: repo(raw),
      runId: int(raw, "runId", true) ?? 0,
      jobs: list(raw, "jobs").map(job),
      ...optional({ attempt: int(raw, "attempt"), headSha: str(raw, "headSha"), headBranch: str(raw, "headBranch"), workflowName: str(raw, "workflowName"), checkSuiteId: int(raw, "checkSuiteId") }),
    };
  } catch (e) {
    if (e instanceof Bad) return e.message;
    throw e;
  }
}

/** A check-run spec from control-API JSON, or what is wrong with it. */
export function checkRunSpecFromJson(raw: JsonObject): CheckRunSpec | string {
  try {
    return {
      repo: repo(raw),
      id: int(raw, "id", true) ?? 0,
      name: str(raw, "name", true),
      annotations: list(raw, "annotations").map(annotation),
      ...optional({
        conclusion: oneOf<NonNullable<CheckRunSpec["conclusion"]>>(raw, "conclusion", JOB_CONCLUSIONS),
        headSha: str(raw, "headSha"),
        checkSuiteId: int(raw, "checkSuiteId"),
        title: str(raw, "title"),
        summary: str(raw, "summary"),
      }),
    };
  } catch (e) {
    if (e instanceof Bad) return e.message;
    throw e;
  }
}
