/**
 * The validating webhook's decision, as a pure function from the request body to the HTTP answer:
 * a Trench is admitted when every VIP is a network CIDR without host bits and none is listed twice
 * (also not when written differently); an empty list is admitted. A denial names the VIP, in the
 * API server's own "is invalid" form. A body that is not an AdmissionReview v1 gets HTTP 400, which
 * the API server reports as a failed webhook call (and, with `failurePolicy: Fail`, refuses the write).
 */
import { InvalidConfigError, validateVips } from '../../sdk/config/index.js';
import { TRENCH_GROUP, TRENCH_KIND } from './trench.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
/** The path controller-runtime would give this webhook; the ValidatingWebhookConfiguration names it. */
export const TRENCH_WEBHOOK_PATH = '/validate-meridio-nordix-org-v1alpha1-trench';

/** `metav1.Status` as it appears in an AdmissionResponse or a 400 answer. */
export interface StatusBody {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: StatusBody;
  readonly warnings?: readonly string[];
}

export type AdmissionAnswer =
  | {
      readonly httpStatus: 200;
      readonly body: {
        readonly apiVersion: typeof ADMISSION_API_VERSION;
        readonly kind: 'AdmissionReview';
        readonly response: AdmissionResponse;
      };
    }
  | {
      readonly httpStatus: 400;
      readonly body: StatusBody & {
        readonly apiVersion: 'v1';
        readonly kind: 'Status';
        readonly status: 'Failure';
      };
    };

/** A lowercase RFC 1123 subdomain, as a ConfigMap name must be. */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function answerAdmissionReview(text: string): AdmissionAnswer {
  let review: unknown;
  try {
    review = JSON.parse(text);
  } catch (error) {
    return badRequest(`the request body is not JSON (${(error as Error).message})`);
  }
  if (!isRecord(review) || review.apiVersion !== ADMISSION_API_VERSION || review.kind !== 'AdmissionReview') {
    const what = isRecord(review)
      ? `apiVersion ${JSON.stringify(review.apiVersion)}, kind ${JSON.stringify(review.kind)}`
      : `a JSON ${Array.isArray(review) ? 'array' : typeof review}`;
    return badRequest(`the request body is not an ${ADMISSION_API_VERSION} AdmissionReview (${what})`);
  }
  const request = review.request;
  if (!isRecord(request) || typeof request.uid !== 'string' || request.uid === '') {
    return badRequest('the AdmissionReview has no request.uid');
  }
  const uid = request.uid;
  const answer = (response: Omit<AdmissionResponse, 'uid'>): AdmissionAnswer => ({
    httpStatus: 200,
    body: { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, ...response } },
  });
  const deny = (code: number, reason: string, message: string): AdmissionAnswer =>
    answer({ allowed: false, status: { code, reason, message } });

  const kind = isRecord(request.kind) ? request.kind : {};
  if (kind.group !== TRENCH_GROUP || kind.kind !== TRENCH_KIND) {
    const named = [kind.group, kind.version].filter((part) => typeof part === 'string' && part).join('/');
    return deny(
      400,
      'BadRequest',
      `this webhook validates ${TRENCH_GROUP} ${TRENCH_KIND} objects, not ${named || 'core'} ${String(kind.kind ?? 'objects of no kind')}`,
    );
  }
  const operation = request.operation;
  if (operation !== 'CREATE' && operation !== 'UPDATE') return answer({ allowed: true });

  const object = request.object;
  if (!isRecord(object)) {
    return deny(400, 'BadRequest', `the ${operation} request carries no Trench in request.object`);
  }
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = String(metadata.name ?? request.name ?? '');
  const invalid = (detail: string): AdmissionAnswer =>
    deny(422, 'Invalid', `${TRENCH_KIND}.${TRENCH_GROUP} "${name}" is invalid: ${detail}`);

  const spec = object.spec === undefined ? {} : object.spec;
  if (!isRecord(spec)) return invalid(`spec: Invalid value: ${describe(spec)}: must be an object`);
  const vips = spec.vips ?? [];
  if (!Array.isArray(vips)) {
    return invalid(`spec.vips: Invalid value: ${describe(vips)}: must be a list of CIDRs`);
  }
  const configMapName = spec.configMapName;
  if (
    configMapName !== undefined &&
    (typeof configMapName !== 'string' || configMapName.length > 253 || !SUBDOMAIN.test(configMapName))
  ) {
    return invalid(
      `spec.configMapName: Invalid value: ${describe(configMapName)}: a ConfigMap name must be a lowercase RFC 1123 subdomain of at most 253 characters (letters, digits, '-' and '.')`,
    );
  }
  let canonical;
  try {
    canonical = validateVips(vips, 'spec.vips');
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    return invalid(error.message);
  }
  const warnings = canonical
    .map((vip, index) =>
      vip.cidr === vips[index]
        ? undefined
        : `spec.vips[${index}] "${String(vips[index])}" is written to the ConfigMap as ${vip.cidr}`,
    )
    .filter((warning): warning is string => warning !== undefined);
  return answer({ allowed: true, ...(warnings.length > 0 ? { warnings } : {}) });
}

function badRequest(message: string): AdmissionAnswer {
  return {
    httpStatus: 400,
    body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', code: 400, reason: 'BadRequest', message },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
