import type { V1ConfigMap } from '@kubernetes/client-node';

import { type Trench, planTrench, statusAfter } from '../../../endpoints/operator/index.js';

const NOW = new Date('2021-06-09T12:00:00.000Z');
const LATER = new Date('2021-06-09T12:05:00.000Z');

function trench(spec: Trench['spec'], extra: Partial<Trench> = {}): Trench {
  return {
    apiVersion: 'meridio.nordix.org/v1alpha1',
    kind: 'Trench',
    metadata: { name: 'trench-a', namespace: 'red', uid: 'uid-a', generation: 2, resourceVersion: '10' },
    spec,
    ...extra,
  };
}

const OURS = {
  apiVersion: 'meridio.nordix.org/v1alpha1',
  kind: 'Trench',
  name: 'trench-a',
  uid: 'uid-a',
  controller: true,
  blockOwnerDeletion: true,
};
const LABELS = {
  'app.kubernetes.io/managed-by': 'meridio-operator',
  'meridio.nordix.org/trench': 'trench-a',
};

function configMap(
  name: string,
  data: Record<string, string>,
  extra: Partial<V1ConfigMap['metadata']> = {},
): V1ConfigMap {
  return {
    metadata: {
      name,
      namespace: 'red',
      uid: `uid-${name}`,
      resourceVersion: '7',
      labels: LABELS,
      ownerReferences: [OURS],
      ...extra,
    },
    data,
  };
}

describe('planTrench', () => {
  test('no ConfigMap: create it, owned by the trench, with the canonical VIPs', () => {
    const plan = planTrench({
      trench: trench({ vips: ['20.0.0.1/32', '2000:0::1/128'] }),
      configMaps: [],
      now: NOW,
    });
    expect(plan.writes).toEqual([
      {
        op: 'create',
        name: 'meridio-configuration',
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'meridio-configuration',
            namespace: 'red',
            labels: LABELS,
            ownerReferences: [OURS],
          },
          data: { 'meridio.conf': 'vips: [20.0.0.1/32, 2000::1/128]\n' },
        },
      },
    ]);
    expect(plan.outcome).toEqual({
      status: 'True',
      reason: 'ConfigMapSynced',
      message: "ConfigMap meridio-configuration holds the trench's 2 VIPs.",
    });
    expect(plan.status).toEqual({
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ConfigMapSynced',
          message: "ConfigMap meridio-configuration holds the trench's 2 VIPs.",
          lastTransitionTime: '2021-06-09T12:00:00Z',
          observedGeneration: 2,
        },
      ],
    });
  });

  test('absent spec or vips: an empty list is written', () => {
    const plan = planTrench({ trench: trench(undefined), configMaps: [], now: NOW });
    expect(plan.writes[0]).toMatchObject({ op: 'create', body: { data: { 'meridio.conf': 'vips: []\n' } } });
    expect(plan.outcome.message).toBe("ConfigMap meridio-configuration holds the trench's 0 VIPs.");
  });

  test('in sync and the status already says so: nothing to do', () => {
    const first = planTrench({
      trench: trench({ vips: ['20.0.0.1/32'] }),
      configMaps: [configMap('meridio-configuration', { 'meridio.conf': 'vips: [20.0.0.1/32]\n' })],
      now: NOW,
    });
    expect(first.writes).toEqual([]);
    const again = planTrench({
      trench: trench({ vips: ['20.0.0.1/32'] }, { status: first.status }),
      configMaps: [configMap('meridio-configuration', { 'meridio.conf': 'vips: [20.0.0.1/32]\n' })],
      now: LATER,
    });
    expect(again).toMatchObject({ writes: [], status: undefined });
  });

  test('edited by hand: a conditional merge patch restores the text and removes extra keys and binaryData', () => {
    const edited = configMap(
      'meridio-configuration',
      { 'meridio.conf': 'vips: [30.0.0.1/32]\n', note: 'by hand' },
      { labels: { 'app.kubernetes.io/managed-by': 'meridio-operator' } },
    );
    edited.binaryData = { blob: 'AAEC' };
    const plan = planTrench({ trench: trench({ vips: ['20.0.0.1/32'] }), configMaps: [edited], now: NOW });
    expect(plan.writes).toEqual([
      {
        op: 'patch',
        name: 'meridio-configuration',
        why: 'VIPs; extra keys note; binaryData; labels',
        patch: {
          metadata: { resourceVersion: '7', labels: { 'meridio.nordix.org/trench': 'trench-a' } },
          data: { 'meridio.conf': 'vips: [20.0.0.1/32]\n', note: null },
          binaryData: null,
        },
      },
    ]);
  });

  test('a ConfigMap without a controller is adopted, keeping its other owners', () => {
    const other = { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-p' };
    const plan = planTrench({
      trench: trench({ vips: [] }),
      configMaps: [
        configMap('meridio-configuration', { 'meridio.conf': 'vips: []\n' }, { ownerReferences: [other] }),
      ],
      now: NOW,
    });
    expect(plan.writes).toEqual([
      expect.objectContaining({
        op: 'patch',
        why: 'adopted by Trench trench-a',
        patch: { metadata: { resourceVersion: '7', ownerReferences: [other, OURS] } },
      }),
    ]);
  });

  test('a ConfigMap controlled by another object is left alone: Ready=False ConfigMapConflict', () => {
    const foreign = { ...OURS, name: 'trench-a', uid: 'uid-of-an-older-trench-a' };
    const plan = planTrench({
      trench: trench({ vips: ['20.0.0.1/32'] }),
      configMaps: [
        configMap('meridio-configuration', { 'meridio.conf': 'vips: []\n' }, { ownerReferences: [foreign] }),
      ],
      now: NOW,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.outcome).toEqual({
      status: 'False',
      reason: 'ConfigMapConflict',
      message:
        'ConfigMap meridio-configuration is controlled by Trench trench-a (uid uid-of-an-older-trench-a), not by this trench; it is left alone. Choose another spec.configMapName, or delete that ConfigMap.',
    });
  });

  test('invalid VIPs: no write at all, Ready=False InvalidVips naming the VIP', () => {
    const plan = planTrench({
      trench: trench({ vips: ['20.0.0.1/32', '20.0.0.1/32'], configMapName: 'other-name' }),
      configMaps: [configMap('meridio-configuration', { 'meridio.conf': 'vips: []\n' })],
      now: NOW,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.outcome).toEqual({
      status: 'False',
      reason: 'InvalidVips',
      message:
        'The VIPs are invalid, so ConfigMap other-name keeps its previous content: spec.vips[1] "20.0.0.1/32" duplicates spec.vips[0] "20.0.0.1/32" (both are 20.0.0.1/32).',
    });
  });

  test('a renamed ConfigMap: the new one is created first, then the old one deleted (only if unchanged)', () => {
    const plan = planTrench({
      trench: trench({ vips: [], configMapName: 'trench-a-conf' }),
      configMaps: [configMap('meridio-configuration', { 'meridio.conf': 'vips: []\n' })],
      now: NOW,
    });
    expect(plan.writes.map((write) => [write.op, write.name])).toEqual([
      ['create', 'trench-a-conf'],
      ['delete', 'meridio-configuration'],
    ]);
    expect(plan.writes[1]).toMatchObject({ uid: 'uid-meridio-configuration', resourceVersion: '7' });
  });
});

describe('statusAfter', () => {
  const synced = { status: 'True', reason: 'ConfigMapSynced', message: 'ok' } as const;

  test('lastTransitionTime moves only when the status changes; other conditions are kept', () => {
    const first = statusAfter(trench({}), synced, NOW)!;
    const withOther = trench(
      {},
      {
        status: {
          ...first,
          conditions: [
            {
              type: 'Other',
              status: 'True',
              reason: 'X',
              message: 'x',
              lastTransitionTime: '2020-01-01T00:00:00Z',
            },
            ...first.conditions!,
          ],
        },
      },
    );
    const sameStatusNewMessage = statusAfter(withOther, { ...synced, message: 'still ok' }, LATER)!;
    expect(sameStatusNewMessage.conditions).toEqual([
      expect.objectContaining({ type: 'Other' }),
      expect.objectContaining({
        type: 'Ready',
        message: 'still ok',
        lastTransitionTime: '2021-06-09T12:00:00Z',
      }),
    ]);
    const failed = statusAfter(
      trench({}, { status: sameStatusNewMessage }),
      { status: 'False', reason: 'ConfigMapWriteFailed', message: 'no' },
      LATER,
    )!;
    expect(failed.conditions![1]).toMatchObject({
      status: 'False',
      lastTransitionTime: '2021-06-09T12:05:00Z',
    });
  });

  test('a new generation is a status change even with the same condition', () => {
    const first = statusAfter(trench({}), synced, NOW)!;
    const next = trench({}, { status: first });
    next.metadata.generation = 3;
    expect(statusAfter(next, synced, LATER)).toMatchObject({ observedGeneration: 3 });
  });
});
