/**
 * Loads GitHub's own OpenAPI description (api.github.com only, never the whole @octokit/openapi package)
 * once per process and normalises it so ajv can compile it:
 *  - every `nullable: true` node becomes `{ anyOf: [<node without nullable>, { type: "null" }] }`
 *    (ajv crashes on `{ oneOf, nullable }`, and `nullable` is not JSON Schema);
 *  - every `$ref: "#/components/schemas/X"` becomes absolute (`SPEC_ID#/components/schemas/X`), so any
 *    schema node can be compiled on its own once `components.schemas` is registered under SPEC_ID;
 *  - the top-level object schema of every JSON request body gets `additionalProperties: false`
 *    (GitHub's spec never sets it, and a typo such as `lables` must fail in tests).
 * Response and parameter `$ref`s (#/components/responses|parameters) are resolved here in JS.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const SPEC_ID = "https://github-double.invalid/api.github.com.json";

export type JsonObject = { [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: JsonObject | null;
}

export interface Operation {
  operationId: string;
  method: string; // upper case
  template: string; // e.g. /repos/{owner}/{repo}/issues
  parameters: Parameter[];
  /** Normalised JSON request-body schema, or null when the operation takes no JSON body. */
  requestSchema: JsonObject | null;
  requestRequired: boolean;
  /** status code ("200", "422", ...) → normalised JSON schema of that response, or null when it has no JSON body. */
  responses: Map<string, JsonObject | null>;
}

export interface Spec {
  operations: Operation[];
  /** Normalised components.schemas (refs absolute under SPEC_ID). */
  schemas: JsonObject;
  loadMs: number;
  nullableRewrites: number;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
// Keys whose values are data, not schemas: never rewrite inside them.
const DATA_KEYS = new Set(["example", "examples", "default", "enum", "const", "x-github", "description"]);

let cached: Spec | null = null;

export function specPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@octokit/openapi/package.json")), "generated", "api.github.com.json");
}

/** The normalised spec, loaded lazily once per process. */
export function loadSpec(): Spec {
  if (cached) return cached;
  const started = performance.now();
  const doc: unknown = JSON.parse(readFileSync(specPath(), "utf8"));
  if (!isObject(doc) || !isObject(doc.paths) || !isObject(doc.components)) throw new Error("github-double: unexpected OpenAPI document");
  const components = doc.components;
  const counter = { n: 0 };
  const schemas = normalise(components.schemas, counter);
  if (!isObject(schemas)) throw new Error("github-double: OpenAPI document has no components.schemas");
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op) || typeof op.operationId !== "string") continue;
      const parameters = [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]
        .map((p) => resolveComponent(components, p))
        .filter(isObject)
        .map(
          (p): Parameter => ({
            name: String(p.name),
            in: String(p.in),
            required: p.required === true,
            schema: asSchema(normalise(p.schema, counter)),
          }),
        );
      let requestSchema: JsonObject | null = null;
      let requestRequired = false;
      const body = resolveComponent(components, op.requestBody);
      if (isObject(body) && isObject(body.content)) {
        const json = body.content["application/json"];
        if (isObject(json) && isObject(json.schema)) {
          requestSchema = asSchema(normalise(json.schema, counter));
          requestRequired = body.required === true;
          if (requestSchema && requestSchema.type === "object" && isObject(requestSchema.properties) && requestSchema.additionalProperties === undefined) {
            requestSchema.additionalProperties = false;
          }
        }
      }
      const responses = new Map<string, JsonObject | null>();
      if (isObject(op.responses)) {
        for (const [status, raw] of Object.entries(op.responses)) {
          const response = resolveComponent(components, raw);
          let schema: JsonObject | null = null;
          if (isObject(response) && isObject(response.content)) {
            const json = response.content["application/json"];
            if (isObject(json) && isObject(json.schema)) schema = asSchema(normalise(json.schema, counter));
          }
          responses.set(status, schema);
        }
      }
      operations.push({ operationId: op.operationId, method: method.toUpperCase(), template, parameters, requestSchema, requestRequired, responses });
    }
  }
  cached = { operations, schemas, loadMs: performance.now() - started, nullableRewrites: counter.n };
  return cached;
}

function asSchema(value: unknown): JsonObject | null {
  return isObject(value) ? value : null;
}

/** Follows one `$ref: "#/components/<kind>/<name>"` (responses, parameters, requestBodies); other values pass through. */
function resolveComponent(components: JsonObject, value: unknown): unknown {
  let current = value;
  for (let depth = 0; depth < 8 && isObject(current) && typeof current.$ref === "string"; depth++) {
    const parts = current.$ref.replace(/^#\/components\//, "").split("/").map(unescapePointer);
    let target: unknown = components;
    for (const part of parts) target = isObject(target) ? target[part] : undefined;
    current = target;
  }
  return current;
}

export function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

/**
 * Rewrites a schema tree in place (the document is our own parse) and returns the node to use in place of
 * `node` (a nullable node is replaced by a new anyOf wrapper). Shared subtrees are visited once.
 */
function normalise(node: unknown, counter: { n: number }, seen: WeakSet<object> = seenNodes): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = normalise(node[i], counter, seen);
    return node;
  }
  if (!isObject(node)) return node;
  if (seen.has(node)) return wrapped.get(node) ?? node;
  seen.add(node);
  for (const key of Object.keys(node)) {
    if (DATA_KEYS.has(key)) continue;
    if (key === "properties" && isObject(node.properties)) {
      const props = node.properties;
      for (const name of Object.keys(props)) props[name] = normalise(props[name], counter, seen);
      continue;
    }
    node[key] = normalise(node[key], counter, seen);
  }
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/components/schemas/")) node.$ref = SPEC_ID + node.$ref;
  if (node.nullable === true) {
    counter.n++;
    delete node.nullable;
    const replacement: JsonObject = { anyOf: [node, { type: "null" }] };
    wrapped.set(node, replacement);
    return replacement;
  }
  return node;
}

const seenNodes = new WeakSet<object>();
const wrapped = new WeakMap<object, JsonObject>();
