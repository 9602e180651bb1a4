import { ApiError } from './errors.js';
import type { KubeObject } from './types.js';

export type Selector = (object: KubeObject) => boolean;

const everything: Selector = () => true;

/** `metadata.name=x`, `metadata.namespace!=y`, comma-separated: the fields every kind supports. */
export function parseFieldSelector(text: string | null): Selector {
  if (!text) return everything;
  const requirements = text.split(',').map((part): Selector => {
    const match = /^\s*([A-Za-z.]+)\s*(==|!=|=)\s*([^,]*?)\s*$/.exec(part);
    if (!match) throw new ApiError(400, 'BadRequest', `invalid field selector "${text}"`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    const read = fieldReader(field);
    return operator === '!=' ? (object) => read(object) !== value : (object) => read(object) === value;
  });
  return (object) => requirements.every((requirement) => requirement(object));
}

function fieldReader(field: string): (object: KubeObject) => string {
  if (field === 'metadata.name') return (object) => object.metadata.name ?? '';
  if (field === 'metadata.namespace') return (object) => object.metadata.namespace ?? '';
  throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
}

/** Equality (`a=b`, `a==b`, `a!=b`), set (`a in (x,y)`, `a notin (x)`) and existence (`a`, `!a`). */
export function parseLabelSelector(text: string | null): Selector {
  if (!text) return everything;
  const requirements = splitOutsideParentheses(text).map((part): Selector => {
    const requirement = part.trim();
    let match = /^(!?)([A-Za-z0-9._/-]+)$/.exec(requirement);
    if (match) {
      const [, negated, key] = match as unknown as [string, string, string];
      return (object) => key in (object.metadata.labels ?? {}) !== (negated === '!');
    }
    match = /^([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)$/.exec(requirement);
    if (match) {
      const [, key, operator, value] = match as unknown as [string, string, string, string];
      return operator === '!='
        ? (object) => object.metadata.labels?.[key] !== value
        : (object) => object.metadata.labels?.[key] === value;
    }
    match = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(requirement);
    if (match) {
      const [, key, operator, list] = match as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((value) => value.trim()));
      return operator === 'in'
        ? (object) => values.has(object.metadata.labels?.[key] ?? '\0absent')
        : (object) => !values.has(object.metadata.labels?.[key] ?? '\0absent');
    }
    throw new ApiError(
      400,
      'BadRequest',
      `unable to parse requirement "${requirement}" of label selector "${text}"`,
    );
  });
  return (object) => requirements.every((requirement) => requirement(object));
}

function splitOutsideParentheses(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '(') depth++;
    else if (text[index] === ')') depth--;
    else if (text[index] === ',' && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
