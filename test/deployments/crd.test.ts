import { fileURLToPath } from 'node:url';

import { type Trench, answerAdmissionReview, planTrench } from '../../endpoints/operator/index.js';
import type { KubeManifest } from './helm.js';
import { crdSchemas, validateManifest } from './schemas.js';

const TRENCH_CRD = fileURLToPath(
  new URL('../../deployments/crds/meridio.nordix.org_trenches.yaml', import.meta.url),
);

/** The CRD and the operator must agree: what the webhook admits and the status the controller writes fit the schema. */
describe('the Trench CRD schema and the operator', () => {
  const crds = crdSchemas(TRENCH_CRD);
  const trench = (spec: unknown, status?: unknown): KubeManifest => ({
    apiVersion: 'meridio.nordix.org/v1alpha1',
    kind: 'Trench',
    metadata: { name: 'trench-a', namespace: 'red' },
    spec,
    ...(status === undefined ? {} : { status }),
  });

  test('VIPs the webhook admits, the longest forms included, fit the schema', () => {
    const vips = ['20.0.0.1/32', '::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128', '2000::1/128'];
    const review = answerAdmissionReview(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u',
          operation: 'CREATE',
          kind: { group: 'meridio.nordix.org', version: 'v1alpha1', kind: 'Trench' },
          object: trench({ vips }),
        },
      }),
    );
    expect(review.httpStatus === 200 && review.body.response.allowed).toBe(true);
    expect(validateManifest(trench({ vips, configMapName: 'a.b-c' }), crds)).toEqual([]);
  });

  test('every status the controller writes fits the status schema', () => {
    const object = trench({ vips: ['20.0.0.1/32'] }) as unknown as Trench;
    object.metadata.uid = 'uid';
    object.metadata.generation = 3;
    const now = new Date('2021-06-09T12:00:00Z');
    const statuses = [
      planTrench({ trench: object, configMaps: [], now }).status,
      planTrench({ trench: { ...object, spec: { vips: ['10.0.0.1/24'] } }, configMaps: [], now }).status,
    ];
    for (const status of statuses) {
      expect(status).toBeDefined();
      expect(validateManifest(trench(object.spec, status), crds)).toEqual([]);
    }
  });

  test('the schema refuses what the API server would', () => {
    const problems = [
      validateManifest(trench({ vips: [5] }), crds),
      validateManifest(trench({ vips: ['x'.repeat(50)] }), crds),
      validateManifest(trench({ configMapName: '-bad' }), crds),
      validateManifest(trench({}, { conditions: [{ type: 'Ready', status: 'Maybe' }] }), crds),
    ];
    for (const found of problems) expect(found).not.toEqual([]);
  });
});
