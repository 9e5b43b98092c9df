/**
 * DigitalOcean's App Platform OpenAPI (../shared/do-openapi/apps.yaml beside the clone) for
 * contract tests: response validators per operation and the operations' examples. Tests only:
 * the product never reads ../shared.
 */
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface OpenApiDocument {
  readonly path: string;
  readonly doc: JsonObject;
}

/** The directory that holds package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Where apps.yaml is expected: `<repo root>/../shared/do-openapi/apps.yaml`. */
export function appsOpenApiPath(): string {
  return path.resolve(repoRoot(), '../shared/do-openapi/apps.yaml');
}

/** Loads apps.yaml; a missing file is an error that says where it looked (never a silent skip). */
export function loadAppsOpenApi(): OpenApiDocument {
  const file = appsOpenApiPath();
  if (!existsSync(file)) {
    throw new Error(
      `DigitalOcean's App Platform OpenAPI is missing: looked for ${file} ` +
        '(../shared/do-openapi/apps.yaml beside the repository clone). The contract tests need it.',
    );
  }
  return { path: file, doc: parse(readFileSync(file, 'utf8')) as JsonObject };
}

/** Follows a local `$ref` (`#/components/...`) until a non-reference node. */
export function resolve(doc: JsonObject, node: Json | undefined): Json | undefined {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${current.$ref}`);
    const ref: string = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, not ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<Json | undefined>((at, key) => (isObject(at) ? at[key] : undefined), doc);
    if (current === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return current;
}

/** The operation object for `method` on the path template, e.g. ('get', '/v2/apps/{id}'). */
export function operation(api: OpenApiDocument, method: string, pathTemplate: string): JsonObject {
  const paths = api.doc.paths;
  const item = isObject(paths) ? paths[pathTemplate] : undefined;
  const op = isObject(item) ? item[method.toLowerCase()] : undefined;
  if (!isObject(op)) throw new Error(`${api.path} has no operation ${method.toUpperCase()} ${pathTemplate}`);
  return op;
}

/** The response object of an operation for a status (falls back to `default`), $refs resolved. */
export function responseOf(
  api: OpenApiDocument,
  method: string,
  pathTemplate: string,
  status: number,
): JsonObject {
  const responses = operation(api, method, pathTemplate).responses;
  if (!isObject(responses)) throw new Error(`${method} ${pathTemplate} declares no responses`);
  const response = resolve(api.doc, responses[String(status)] ?? responses.default);
  if (!isObject(response)) throw new Error(`${method} ${pathTemplate} declares no response for ${status}`);
  return response;
}

/** Every example of an operation's JSON response: `examples` (named) and `example`. */
export function responseExamples(
  api: OpenApiDocument,
  method: string,
  pathTemplate: string,
  status = 200,
): { name: string; value: Json }[] {
  const response = responseOf(api, method, pathTemplate, status);
  const content = resolve(
    api.doc,
    isObject(response.content) ? response.content['application/json'] : undefined,
  );
  if (!isObject(content)) return [];
  const out: { name: string; value: Json }[] = [];
  if (content.example !== undefined) out.push({ name: 'example', value: content.example });
  const examples = isObject(content.examples) ? content.examples : {};
  for (const [name, raw] of Object.entries(examples)) {
    const example = resolve(api.doc, raw);
    if (isObject(example) && example.value !== undefined) out.push({ name, value: example.value });
  }
  return out;
}

/**
 * OpenAPI 3.0 schema → JSON Schema that ajv understands: `nullable: true` becomes a `null`
 * alternative; `$ref`s stay (they point into the document registered with ajv).
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    // `example`/`examples` are data, not schemas: copying them verbatim keeps ajv off them.
    out[key] = key === 'example' || key === 'examples' ? value : toJsonSchema(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const DOCUMENT_ID = 'https://replica-watch.test/do-apps.json';

/** Validators for the operations' response schemas, compiled once per (operation, status). */
export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor(private readonly api: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // OpenAPI's numeric formats carry no constraint ajv-formats knows: accept them.
    for (const format of ['int32', 'int64', 'uint32', 'uint64', 'float', 'double'])
      this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: toJsonSchema(api.doc.components ?? {}) });
  }

  /** The JSON schema of the response body; null when the response declares none. */
  schemaRef(method: string, pathTemplate: string, status: number): Json | null {
    const response = responseOf(this.api, method, pathTemplate, status);
    const content = isObject(response.content) ? response.content['application/json'] : undefined;
    if (!isObject(content) || content.schema === undefined) return null;
    return content.schema;
  }

  /** Validation errors of `body` as the response of `method pathTemplate` with `status` ([] when valid). */
  errors(method: string, pathTemplate: string, status: number, body: unknown): string[] {
    const key = `${method.toUpperCase()} ${pathTemplate} ${status}`;
    if (!this.cache.has(key)) {
      const schema = this.schemaRef(method, pathTemplate, status);
      this.cache.set(key, schema === null ? null : this.ajv.compile(this.anchor(schema) as object));
    }
    const validate = this.cache.get(key);
    if (!validate) return [`${key}: the OpenAPI declares no JSON schema for this response`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${key}: ${e.instancePath || '(root)'} ${e.message ?? ''}`);
  }

  /** The schema with its local `$ref`s pointed at the registered document. */
  private anchor(schema: Json): Json {
    const rewrite = (node: Json): Json => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!isObject(node)) return node;
      const out: JsonObject = {};
      for (const [key, value] of Object.entries(node)) {
        out[key] = key === '$ref' && typeof value === 'string' ? `${DOCUMENT_ID}${value}` : rewrite(value);
      }
      return out;
    };
    return rewrite(toJsonSchema(schema));
  }
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
