import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type JsonObject = Record<string, unknown>;

/**
 * Checks answers against the OpenAPI document: the schema of the answer the document gives for a
 * path, method and status (or one of `components.responses`), with every component resolvable.
 */
export class DocumentedAnswers {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: JsonObject) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // Components resolve by their place in the document: `#/components/schemas/X` is this document's.
    this.ajv.addSchema({ $id: 'openapi', components: document.components } as JsonObject);
  }

  /** The documented answer for `path` (a template of the document), `method` and `status`. */
  answerOf(path: string, method: string, status: number): JsonObject {
    const paths = this.document.paths as Record<string, Record<string, { responses: Record<string, JsonObject> }>>;
    const answer = paths[path]?.[method.toLowerCase()]?.responses[String(status)];
    if (!answer) throw new Error(`the document has no ${status} answer for ${method} ${path}`);
    return answer;
  }

  /** The documented gateway answer `NotFound` or `MethodNotAllowed`. */
  componentAnswer(name: string): JsonObject {
    const answer = (this.document.components as { responses: Record<string, JsonObject> }).responses[name];
    if (!answer) throw new Error(`the document has no response component ${name}`);
    return answer;
  }

  /** Problems of a real answer against a documented one; empty when it conforms. */
  problems(answer: JsonObject, actual: { contentType: string | null; body: unknown; headers: Headers }): string[] {
    const problems: string[] = [];
    const content = answer.content as Record<string, { schema: JsonObject }> | undefined;
    if (content) {
      const [type, media] = Object.entries(content)[0]!;
      const mediaType = (actual.contentType ?? '').split(';')[0]!.trim();
      if (type !== '*/*' && mediaType !== type) problems.push(`content type ${mediaType}, documented ${type}`);
      const validate = this.validatorFor(media.schema);
      if (!validate(actual.body)) problems.push(this.ajv.errorsText(validate.errors));
    }
    for (const name of Object.keys((answer.headers ?? {}) as JsonObject)) {
      if (!actual.headers.has(name)) problems.push(`header ${name} missing`);
    }
    return problems;
  }

  private validatorFor(schema: JsonObject): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as JsonObject);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** `#/components/…` of the document, reached from a schema compiled on its own. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/') ? `openapi${inner}` : rebase(inner),
    ]),
  );
}
