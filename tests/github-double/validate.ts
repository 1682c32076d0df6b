/**
 * ajv over the normalised spec. One ajv instance per process; validators are compiled lazily, once per
 * operation (request body) and per operation + status (response body), and cached.
 */
import Ajv from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { SPEC_ID, isObject, loadSpec } from "./spec.ts";
import type { JsonObject, Operation } from "./spec.ts";

export interface ValidationErrorItem {
  resource: string;
  field: string;
  code: string;
  message?: string;
}

type AjvInstance = InstanceType<typeof Ajv>;

let ajvInstance: AjvInstance | null = null;
const requestValidators = new Map<Operation, ValidateFunction | null>();
const responseValidators = new Map<string, ValidateFunction | null>();
const namedValidators = new Map<string, ValidateFunction>();
const responseKeys = new WeakMap<Operation, string>();

// ajv and ajv-formats are CommonJS; depending on the loader the default import is the class/function
// itself or a namespace object holding it as `default`.
function interopDefault<T>(value: T): T {
  const holder: unknown = value;
  if (typeof holder === "object" && holder !== null && "default" in holder) return (holder as { default: T }).default;
  return value;
}

function ajv(): AjvInstance {
  if (ajvInstance) return ajvInstance;
  const spec = loadSpec();
  const AjvClass = interopDefault(Ajv);
  const instance = new AjvClass({ strict: false, allErrors: true, validateSchema: false, logger: false });
  interopDefault(addFormats)(instance);
  // Formats the spec uses that ajv-formats does not know: accept anything (they are documentation).
  for (const format of ["uri-template", "int64", "int32", "double", "repo.nwo", "binary"]) instance.addFormat(format, true);
  instance.addSchema({ $id: SPEC_ID, components: { schemas: spec.schemas } });
  ajvInstance = instance;
  return instance;
}

export function requestValidator(operation: Operation): ValidateFunction | null {
  if (requestValidators.has(operation)) return requestValidators.get(operation) ?? null;
  const validator = operation.requestSchema ? ajv().compile(operation.requestSchema) : null;
  requestValidators.set(operation, validator);
  return validator;
}

/** The validator for `status` of `operation`; null when the spec declares no JSON body for that status. */
export function responseValidator(operation: Operation, status: number): ValidateFunction | null {
  let opKey = responseKeys.get(operation);
  if (!opKey) {
    opKey = `${operation.method} ${operation.template}`;
    responseKeys.set(operation, opKey);
  }
  const key = `${opKey} ${status}`;
  if (responseValidators.has(key)) return responseValidators.get(key) ?? null;
  const schema = operation.responses.get(String(status)) ?? null;
  const validator = schema ? ajv().compile(schema) : null;
  responseValidators.set(key, validator);
  return validator;
}

/** Validator for a named component schema, e.g. "validation-error". */
export function schemaValidator(name: string): ValidateFunction {
  const existing = namedValidators.get(name);
  if (existing) return existing;
  const validator = ajv().compile({ $ref: `${SPEC_ID}#/components/schemas/${name}` });
  namedValidators.set(name, validator);
  return validator;
}

export function describeErrors(errors: readonly ErrorObject[] | null | undefined, limit = 8): string {
  return (errors ?? [])
    .slice(0, limit)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : ""}`)
    .join("; ");
}

function fieldOf(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
}

/**
 * ajv errors → GitHub's validation-error items. Branch noise of oneOf/anyOf is collapsed into one
 * "invalid" item for the field.
 */
export function toGitHubErrors(errors: readonly ErrorObject[] | null | undefined, resource: string): ValidationErrorItem[] {
  const list = errors ?? [];
  const combinators = list.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.instancePath);
  const underCombinator = (path: string) => combinators.some((c) => path === c || path.startsWith(`${c}/`));
  const items: ValidationErrorItem[] = [];
  const seen = new Set<string>();
  for (const error of list) {
    let item: ValidationErrorItem;
    if (error.keyword === "required") {
      const missing = String(error.params.missingProperty);
      const parent = fieldOf(error.instancePath);
      item = { resource, field: parent ? `${parent}.${missing}` : missing, code: "missing_field" };
    } else if (error.keyword === "additionalProperties") {
      const extra = String(error.params.additionalProperty);
      const parent = fieldOf(error.instancePath);
      item = { resource, field: parent ? `${parent}.${extra}` : extra, code: "invalid", message: `"${extra}" is not a permitted key.` };
    } else if (error.keyword === "oneOf" || error.keyword === "anyOf" || !underCombinator(error.instancePath)) {
      const field = fieldOf(error.instancePath);
      item = { resource, field, code: "invalid", message: `${field || "body"} ${error.message ?? "is invalid"}` };
    } else {
      continue;
    }
    const key = `${item.field}|${item.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return items;
}

/** Parses a JSON object out of unknown; used by the control API. */
export function asObject(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}
