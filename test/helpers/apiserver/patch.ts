import { ApiError } from './errors.js';
import type { Json } from './types.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

/**
 * Applies a patch by content type. A strategic merge patch is applied as a JSON merge patch: the
 * same for maps (ConfigMap data, labels, status fields), but lists are replaced instead of merged by
 * key, which a test relying on list merging would notice.
 */
export function applyPatch(target: Json, patch: Json, contentType: string): Json {
  if (contentType === MERGE_PATCH || contentType === STRATEGIC_MERGE_PATCH) return mergePatch(target, patch);
  if (contentType === JSON_PATCH) return jsonPatch(target, patch);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${STRATEGIC_MERGE_PATCH}`,
  );
}

/** RFC 7386. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/** RFC 6902: add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations))
    throw new ApiError(400, 'BadRequest', 'a JSON patch must be a list of operations');
  let document = structuredClone(target);
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw new ApiError(400, 'BadRequest', `invalid JSON patch operation ${JSON.stringify(operation)}`);
    }
    const { op, path } = operation;
    const from = typeof operation.from === 'string' ? operation.from : undefined;
    switch (op) {
      case 'add':
        document = put(document, path, operation.value ?? null, 'add');
        break;
      case 'replace':
        document = put(document, path, operation.value ?? null, 'replace');
        break;
      case 'remove':
        document = remove(document, path).document;
        break;
      case 'move': {
        if (from === undefined) throw invalid(op, path, 'has no "from"');
        const taken = remove(document, from);
        document = put(taken.document, path, taken.value, 'add');
        break;
      }
      case 'copy':
        if (from === undefined) throw invalid(op, path, 'has no "from"');
        document = put(document, path, structuredClone(get(document, from)), 'add');
        break;
      case 'test':
        if (JSON.stringify(get(document, path)) !== JSON.stringify(operation.value ?? null)) {
          throw new ApiError(422, 'Invalid', `the JSON patch test of ${path} failed`);
        }
        break;
      default:
        throw invalid(op, path, 'is not a known operation');
    }
  }
  return document;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(400, 'BadRequest', `"${path}" is not a JSON pointer`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(document: Json, path: string): Json {
  let node = document;
  for (const token of pointer(path)) {
    const child = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (child === undefined) throw new ApiError(422, 'Invalid', `the JSON patch path ${path} does not exist`);
    node = child;
  }
  return node;
}

function put(document: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const last = tokens.pop()!;
  const parent = get(document, tokens.length === 0 ? '' : `/${tokens.map(escape).join('/')}`);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    const bound = mode === 'add' ? parent.length : parent.length - 1;
    if (!Number.isInteger(index) || index < 0 || index > bound) throw invalid(mode, path, 'is out of range');
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isObject(parent)) {
    if (mode === 'replace' && !(last in parent)) throw invalid(mode, path, 'does not exist');
    parent[last] = value;
  } else {
    throw invalid(mode, path, 'is not inside an object or a list');
  }
  return document;
}

function remove(document: Json, path: string): { document: Json; value: Json } {
  const tokens = pointer(path);
  const last = tokens.pop();
  if (last === undefined) throw invalid('remove', path, 'is the whole document');
  const parent = get(document, tokens.length === 0 ? '' : `/${tokens.map(escape).join('/')}`);
  const value = get(document, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return { document, value };
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function invalid(op: string, path: string, problem: string): ApiError {
  return new ApiError(422, 'Invalid', `the JSON patch operation ${op} of ${path} ${problem}`);
}

export function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
