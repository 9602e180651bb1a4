/**
 * Validates rendered manifests the way an API server would, without one:
 * - built-in kinds against the Kubernetes OpenAPI schemas compiled into `kubernetes-models`
 *   (types, required fields, enums, formats), and against client-node's model of every kind for
 *   unknown fields (a typo such as `capabilites` would otherwise pass: the published schemas allow
 *   extra properties, and the API server drops or rejects them);
 * - custom resources against their CRD's openAPIV3Schema (ajv), unknown fields rejected as well.
 */
import { readFileSync } from 'node:fs';

import * as k8s from '@kubernetes/client-node';
import { Ajv, type ValidateFunction } from 'ajv';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse } from 'yaml';

import type { KubeManifest } from './helm.js';

interface BuiltIn {
  /** kubernetes-models' class: its `validate()` throws on a schema violation. */
  readonly model: new (data: never) => { validate(): void };
  /** client-node's model name, whose attribute map lists the known fields. */
  readonly clientModel: string;
}

const BUILT_IN: Readonly<Record<string, BuiltIn>> = {
  'v1/ServiceAccount': { model: ServiceAccount, clientModel: 'V1ServiceAccount' },
  'v1/Service': { model: Service, clientModel: 'V1Service' },
  'v1/ConfigMap': { model: ConfigMap, clientModel: 'V1ConfigMap' },
  'v1/Secret': { model: Secret, clientModel: 'V1Secret' },
  'apps/v1/Deployment': { model: Deployment, clientModel: 'V1Deployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, clientModel: 'V1StatefulSet' },
  'apps/v1/DaemonSet': { model: DaemonSet, clientModel: 'V1DaemonSet' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role, clientModel: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding, clientModel: 'V1RoleBinding' },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': {
    model: ValidatingWebhookConfiguration,
    clientModel: 'V1ValidatingWebhookConfiguration',
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    model: CustomResourceDefinition,
    clientModel: 'V1CustomResourceDefinition',
  },
};

interface AttributeType {
  readonly baseName: string;
  readonly type: string;
}

type ClientModel = { getAttributeTypeMap(): AttributeType[] } | undefined;

/** Paths of fields that client-node's model of `type` does not know, found recursively. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined) return [];
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    return Array.isArray(value)
      ? value.flatMap((item, index) => unknownFields(item, list[1]!, `${path}[${index}]`))
      : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      unknownFields(item, map[1]!, `${path}.${key}`),
    );
  }
  const model = (k8s as unknown as Record<string, ClientModel>)[type];
  if (typeof model?.getAttributeTypeMap !== 'function' || typeof value !== 'object' || Array.isArray(value))
    return [];
  const known = new Map(model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute.type]));
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    const fieldType = known.get(key);
    const fieldPath = path ? `${path}.${key}` : key;
    return fieldType === undefined
      ? [`${fieldPath}: unknown field`]
      : unknownFields(item, fieldType, fieldPath);
  });
}

const ajv = new Ajv({ allErrors: true, strict: false });
// The OpenAPI formats that CRD schemas use.
ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
ajv.addFormat('int32', {
  type: 'number',
  validate: (value: number) => Number.isInteger(value) && Math.abs(value) < 2 ** 31,
});
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);

/**
 * A structural schema as ajv reads it, with unknown fields rejected: the API server prunes them
 * from custom resources, so a field the schema does not declare would be lost silently.
 */
function strictSchema(schema: unknown, atMetadata = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => strictSchema(item));
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      copy.properties = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, property]) => [
          name,
          strictSchema(property, name === 'metadata'),
        ]),
      );
    } else if (key !== 'default' && key !== 'description') {
      copy[key] = strictSchema(value);
    }
  }
  if (copy.type === 'object' && copy.properties && !atMetadata && !('additionalProperties' in copy)) {
    copy.additionalProperties = false;
  }
  return copy;
}

export interface CrdSchema {
  readonly apiVersion: string;
  readonly kind: string;
  readonly validate: ValidateFunction;
}

/** The validator of each served version of a CRD file. */
export function crdSchemas(crdFile: string): CrdSchema[] {
  const crd = parse(readFileSync(crdFile, 'utf8')) as {
    spec: {
      group: string;
      names: { kind: string };
      versions: { name: string; schema: { openAPIV3Schema: unknown } }[];
    };
  };
  return crd.spec.versions.map((version) => ({
    apiVersion: `${crd.spec.group}/${version.name}`,
    kind: crd.spec.names.kind,
    validate: ajv.compile(strictSchema(version.schema.openAPIV3Schema) as object),
  }));
}

/** Every problem with `object`, empty when it is valid; `crds` are the custom kinds it may be. */
export function validateManifest(object: KubeManifest, crds: readonly CrdSchema[]): string[] {
  const where = `${object.kind} ${object.metadata?.name ?? '(no name)'}`;
  const custom = crds.find((crd) => crd.apiVersion === object.apiVersion && crd.kind === object.kind);
  if (custom) {
    if (custom.validate(object)) return [];
    return (custom.validate.errors ?? []).map(
      (error) =>
        `${where}: ${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }
  const builtIn = BUILT_IN[`${object.apiVersion}/${object.kind}`];
  if (!builtIn) return [`${where}: ${object.apiVersion} ${object.kind} has no schema here; add one`];
  const problems: string[] = [];
  try {
    new builtIn.model(object as never).validate();
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`);
  }
  problems.push(...unknownFields(object, builtIn.clientModel).map((problem) => `${where}: ${problem}`));
  return problems;
}
