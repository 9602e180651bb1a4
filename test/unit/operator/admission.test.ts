import { answerAdmissionReview } from '../../../endpoints/operator/index.js';

function review(request: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: 'meridio.nordix.org', version: 'v1alpha1', kind: 'Trench' },
      name: 'trench-a',
      operation: 'CREATE',
      ...request,
    },
  });
}

function responseOf(text: string): { allowed: boolean; status?: { code: number; message: string } } {
  const answer = answerAdmissionReview(text);
  if (answer.httpStatus !== 200) throw new Error(`HTTP ${answer.httpStatus}: ${answer.body.message}`);
  return answer.body.response;
}

describe('answerAdmissionReview: the cases the fixtures over HTTPS do not cover', () => {
  test.each([
    ['spec is not an object', { spec: 'x' }, 'spec: Invalid value: "x": must be an object'],
    [
      'vips is not a list',
      { spec: { vips: '20.0.0.1/32' } },
      'spec.vips: Invalid value: "20.0.0.1/32": must be a list of CIDRs',
    ],
    [
      'a VIP is not a string',
      { spec: { vips: [32] } },
      'spec.vips[0] is the number 32, not a CIDR such as 20.0.0.1/32',
    ],
    [
      'a VIP has a zone',
      { spec: { vips: ['fe80::1%eth0/128'] } },
      'spec.vips[0] "fe80::1%eth0/128" is not a valid CIDR: "fe80::1%eth0" has a zone, which a VIP cannot have',
    ],
    [
      'a prefix too long',
      { spec: { vips: ['20.0.0.1/33'] } },
      'spec.vips[0] "20.0.0.1/33" is not a valid CIDR: the prefix length "33" is not a number from 0 to 32',
    ],
  ])('%s → 422 naming the field', (_name, object, detail) => {
    const response = responseOf(review({ object: { metadata: { name: 'trench-a' }, ...object } }));
    expect(response).toEqual({
      uid: 'u-1',
      allowed: false,
      status: {
        code: 422,
        reason: 'Invalid',
        message: `Trench.meridio.nordix.org "trench-a" is invalid: ${detail}`,
      },
    });
  });

  test('a trench without spec is admitted (no VIPs)', () => {
    expect(responseOf(review({ object: { metadata: { name: 'trench-a' } } }))).toEqual({
      uid: 'u-1',
      allowed: true,
    });
  });

  test('CREATE without an object is refused; DELETE and CONNECT always pass', () => {
    expect(responseOf(review({})).status).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'the CREATE request carries no Trench in request.object',
    });
    expect(responseOf(review({ operation: 'DELETE' })).allowed).toBe(true);
    expect(responseOf(review({ operation: 'CONNECT' })).allowed).toBe(true);
  });

  test('a body that is JSON but not an object: HTTP 400 saying what it is', () => {
    expect(answerAdmissionReview('[1,2]')).toEqual({
      httpStatus: 400,
      body: {
        apiVersion: 'v1',
        kind: 'Status',
        status: 'Failure',
        code: 400,
        reason: 'BadRequest',
        message: 'the request body is not an admission.k8s.io/v1 AdmissionReview (a JSON array)',
      },
    });
  });
});
