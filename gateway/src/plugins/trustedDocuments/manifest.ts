import { createHash } from 'node:crypto';
import { Kind, parse, type GraphQLError } from 'graphql';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

/**
 * Trusted-document manifests in the formats client tooling already writes:
 * - Apollo's persisted query manifest (`@apollo/generate-persisted-query-manifest`):
 *   `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "body", "name", "type" }] }`;
 * - a map of id to document text: Relay's `persisted_queries.json` and GraphQL Code Generator's
 *   client preset (`persistedDocuments`), whose ids are hashes.
 *
 * A manifest is taken whole or not at all: the first problem refuses it, with the line it is on.
 */

export interface TrustedDocument {
  /** The id clients send (`documentId`, or the manifest's own id). */
  readonly id: string;
  readonly body: string;
  /** sha256 of the body, hex: `documentId: "sha256:<hex>"` names it too. */
  readonly sha256: string;
  /** The operation's name and type, when the manifest says (Apollo's format). */
  readonly name?: string;
  readonly type?: 'query' | 'mutation' | 'subscription';
}

export type ManifestFormat = 'apollo-persisted-query-manifest' | 'id-to-text';

export interface Manifest {
  readonly format: ManifestFormat;
  readonly documents: readonly TrustedDocument[];
}

export interface ManifestLimits {
  /** Documents in one manifest. */
  maxDocuments: number;
  /** Characters of an id. */
  maxIdLength: number;
  /** Tokens of one document (as `limits.maxTokens`); 0: no limit. */
  maxTokens: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxDocuments: 10_000, maxIdLength: 256, maxTokens: 15_000 };

/** Why a manifest was refused, and where. */
export class ManifestError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ManifestError';
  }
}

const APOLLO_FORMAT = 'apollo-persisted-query-manifest';
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);
/** Printable ASCII, no spaces: ids travel in URLs and headers and are logged. */
const ID = /^[\x21-\x7e]+$/;

/** The documents of a manifest (JSON text). Throws a ManifestError. */
export function parseManifest(text: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(syntaxErrorLine(text, (err as Error).message), `not JSON: ${(err as Error).message}`);
  }
  // JSON.parse keeps the last of two equal keys and says nothing of where anything is: a second
  // reading of the (valid) text finds duplicate keys and the line of each entry.
  const lines = new LineCounter();
  const tree = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const duplicate = tree.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (duplicate) throw new ManifestError(duplicate.linePos?.[0].line ?? 1, 'an id appears twice');
  const lineOf = (node: YamlNode | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);

  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ManifestError(1, 'a manifest is a JSON object');
  const format: ManifestFormat = Object.prototype.hasOwnProperty.call(json, 'format') ? APOLLO_FORMAT : 'id-to-text';
  const entries = format === APOLLO_FORMAT ? apolloEntries(json as Record<string, unknown>, tree.contents, lineOf) : idToTextEntries(json as Record<string, unknown>, tree.contents, lineOf);
  if (entries.length > limits.maxDocuments) throw new ManifestError(1, `more than ${limits.maxDocuments} documents`);
  const seen = new Set<string>();
  const documents = entries.map((entry) => {
    const document = checkEntry(entry, limits);
    if (seen.has(document.id)) throw new ManifestError(entry.line, `the id "${document.id}" appears twice`);
    seen.add(document.id);
    return document;
  });
  return { format, documents };
}

interface Entry {
  line: number;
  id: unknown;
  body: unknown;
  name?: unknown;
  type?: unknown;
}

function apolloEntries(json: Record<string, unknown>, root: unknown, lineOf: (node: YamlNode | null | undefined) => number): Entry[] {
  const rootLine = isMap(root) ? lineOf(root) : 1;
  if (json.format !== APOLLO_FORMAT) throw new ManifestError(rootLine, `unknown format ${JSON.stringify(json.format)}: "${APOLLO_FORMAT}" or an object of id to text`);
  if (json.version !== 1) throw new ManifestError(rootLine, `unknown version ${JSON.stringify(json.version)} of ${APOLLO_FORMAT}: 1`);
  const operations = json.operations;
  const operationsNode = isMap(root) ? root.get('operations', true) : undefined;
  if (!Array.isArray(operations)) throw new ManifestError(rootLine, '"operations" must be an array');
  return operations.map((operation, i) => {
    const line = isSeq(operationsNode) ? lineOf(operationsNode.items[i] as YamlNode) : rootLine;
    if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) throw new ManifestError(line, 'an operation is an object with "id" and "body"');
    const { id, body, name, type } = operation as Record<string, unknown>;
    return { line, id, body, name, type };
  });
}

function idToTextEntries(json: Record<string, unknown>, root: unknown, lineOf: (node: YamlNode | null | undefined) => number): Entry[] {
  // In the text's order, from the second reading: Object.keys would put ids like "12" first.
  if (!isMap(root)) return [];
  return root.items.map((pair) => {
    const key = pair.key as YamlNode;
    const id = isScalar(key) ? String(key.value) : undefined;
    return { line: lineOf(key), id, body: id === undefined ? undefined : json[id] };
  });
}

function checkEntry(entry: Entry, limits: ManifestLimits): TrustedDocument {
  const { line, id, body, name, type } = entry;
  if (typeof id !== 'string' || id.length === 0) throw new ManifestError(line, 'an id must be a non-empty string');
  if (id.length > limits.maxIdLength) throw new ManifestError(line, `the id "${id.slice(0, 32)}…" is longer than ${limits.maxIdLength} characters`);
  if (!ID.test(id)) throw new ManifestError(line, `the id ${JSON.stringify(id)} has characters other than printable ASCII`);
  if (typeof body !== 'string') throw new ManifestError(line, `the document of "${id}" must be a string of GraphQL`);
  if (name !== undefined && typeof name !== 'string') throw new ManifestError(line, `the name of "${id}" must be a string`);
  if (type !== undefined && !OPERATION_TYPES.has(type as string)) throw new ManifestError(line, `the type of "${id}" must be query, mutation or subscription`);
  let operations;
  try {
    operations = parse(body, { maxTokens: limits.maxTokens || undefined, noLocation: true }).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  } catch (err) {
    const message = (err as GraphQLError).message;
    // graphql-js stops at the token limit with a message of its own (and a typo in it).
    if (/Document contains more th\w+ \d+ tokens/.test(message)) throw new ManifestError(line, `the document of "${id}" has more than the allowed ${limits.maxTokens} tokens`);
    throw new ManifestError(line, `the document of "${id}" is not GraphQL: ${message}`);
  }
  if (operations.length === 0) throw new ManifestError(line, `the document of "${id}" has no operation`);
  if (operations.length === 1 && type !== undefined && operations[0].operation !== type) {
    throw new ManifestError(line, `"${id}" says it is a ${String(type)} but its operation is a ${operations[0].operation}`);
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  // `sha256:` ids mean the body's hash (the GraphQL over HTTP persisted documents appendix): one
  // that is not would name a different text on a gateway that hashes the body itself.
  if (id.startsWith('sha256:') && id !== `sha256:${sha256}`) throw new ManifestError(line, `the id "${id}" is not "sha256:" and the SHA-256 of its document (${sha256})`);
  return { id, body, sha256, ...(name !== undefined ? { name: name as string } : {}), ...(type !== undefined ? { type: type as TrustedDocument['type'] } : {}) };
}

/** The line of the position V8 names in a JSON syntax error, or the last line (the input ended early). */
function syntaxErrorLine(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  const end = position ? Math.min(Number(position[1]), text.length) : text.length;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
