/**
 * Validation against the aggregator's own OpenAPI document (aggregator/http/openapi.ts) for the
 * tests that keep it true. Every object schema is closed (`additionalProperties: false`) here, so
 * a field the code sends but the document does not list fails the tests; the served document
 * stays open, so clients keep tolerating fields added later.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { OPENAPI_DOCUMENT } from '../../aggregator/http/openapi';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DOCUMENT_ID = 'https://replica-watch.test/aggregator-openapi.json';

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAPI 3.0 → JSON Schema for ajv: `nullable` → a null alternative; objects closed; local refs anchored. */
function toClosedJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toClosedJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out[key] = `${DOCUMENT_ID}${value}`;
    else if (key === 'example' || key === 'enum') out[key] = value;
    else out[key] = toClosedJsonSchema(value);
  }
  if (out.type === 'object' && isObject(out.properties) && out.additionalProperties === undefined)
    out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** The document as plain JSON (what GET /openapi.json serves). */
export function aggregatorOpenApi(): JsonObject {
  return JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)) as JsonObject;
}

/** Validators for the document's schemas and responses, objects closed. */
export class AggregatorApiValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly doc = aggregatorOpenApi();
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    const components = isObject(this.doc.components) ? this.doc.components : {};
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: toClosedJsonSchema(components) });
  }

  /** Errors of `value` against components.schemas[name]; [] when valid. */
  schemaErrors(name: string, value: unknown): string[] {
    return this.run(`schema ${name}`, { $ref: `#/components/schemas/${name}` }, value);
  }

  /** Errors of a response body against the operation's declared schema for `status` and `mediaType`. */
  responseErrors(
    method: string,
    path: string,
    status: number,
    body: unknown,
    mediaType = 'application/json',
  ): string[] {
    const paths = isObject(this.doc.paths) ? this.doc.paths : {};
    const item = paths[path];
    const operation = isObject(item) ? item[method.toLowerCase()] : undefined;
    const responses = isObject(operation) ? operation.responses : undefined;
    const response = isObject(responses) ? responses[String(status)] : undefined;
    const where = `${method.toUpperCase()} ${path} ${status}`;
    if (!isObject(response)) return [`${where}: not documented`];
    const content = isObject(response.content) ? response.content[mediaType] : undefined;
    if (!isObject(content) || content.schema === undefined)
      return [`${where}: no ${mediaType} schema documented`];
    return this.run(where, content.schema, body);
  }

  private run(key: string, schema: Json, value: unknown): string[] {
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(toClosedJsonSchema(schema) as object);
      this.cache.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${key}: ${e.instancePath || '(root)'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    );
  }
}
