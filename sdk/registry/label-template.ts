/**
 * Selector values may be templates over the request's labels, as NSM writes them with Go's
 * text/template: `{{.nodeName}}` or `{{index . "nodeName"}}` (Meridio registers its proxy service with
 * `nodeName={{.nodeName}}`, so a target lands on the proxy of its own node). Only these two actions
 * are understood; a value with any other `{{…}}` is taken literally, as Go does when a template does not
 * parse. A template naming a label the request does not carry resolves to nothing, so it never matches.
 */
const ACTION = /\{\{-?\s*(?:\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\.\s+"((?:[^"\\]|\\.)*)")\s*-?\}\}/g;
const ANY_ACTION = /\{\{.*?\}\}/s;

/** The value with its template actions replaced from `values`; undefined when a named label is missing. */
export function resolveLabelTemplate(
  value: string,
  values: Readonly<Record<string, string>>,
): string | undefined {
  if (!ANY_ACTION.test(value) || ANY_ACTION.test(value.replace(ACTION, ''))) return value;
  let missing = false;
  const resolved = value.replace(ACTION, (_action, field: string | undefined, quoted: string | undefined) => {
    const key = field ?? (JSON.parse(`"${quoted ?? ''}"`) as string);
    const label = values[key];
    if (label === undefined) missing = true;
    return label ?? '';
  });
  return missing ? undefined : resolved;
}
