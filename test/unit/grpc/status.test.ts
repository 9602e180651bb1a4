import * as grpc from '@grpc/grpc-js';

import {
  Code,
  InvalidArgumentError,
  MeridioError,
  NotFoundError,
  UnavailableError,
} from '../../../sdk/core/index.js';
import { fromGrpcError, toServerStatus } from '../../../sdk/grpc/index.js';

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

describe('errors across the wire', () => {
  it('a MeridioError becomes a status with its code and message', () => {
    expect(toServerStatus(new NotFoundError('no endpoint serves "icmp"'))).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'no endpoint serves "icmp"',
    });
  });

  it('an untyped error is UNKNOWN with its message', () => {
    expect(toServerStatus(new TypeError('x is undefined'))).toEqual({
      code: grpc.status.UNKNOWN,
      details: 'x is undefined',
    });
    expect(toServerStatus('plain string')).toEqual({ code: grpc.status.UNKNOWN, details: 'plain string' });
  });

  it('an error that claims OK is not reported as success', () => {
    expect(toServerStatus(new MeridioError('odd', Code.OK)).code).toBe(grpc.status.UNKNOWN);
  });

  it('a status comes back as the typed error with the bare message', () => {
    const error = fromGrpcError(serviceError(grpc.status.INVALID_ARGUMENT, 'the request has no connection'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: Code.INVALID_ARGUMENT, message: 'the request has no connection' });
    expect(fromGrpcError(serviceError(grpc.status.UNAVAILABLE, 'No connection established'))).toBeInstanceOf(
      UnavailableError,
    );
  });

  it('a status without a typed class keeps its code', () => {
    const error = fromGrpcError(serviceError(grpc.status.ABORTED, 'lost a race'));
    expect(error).toBeInstanceOf(MeridioError);
    expect(error).toMatchObject({ code: Code.ABORTED, message: 'lost a race' });
  });

  it('round-trips every code', () => {
    for (let code = 1; code <= 16; code++) {
      const status = toServerStatus(new MeridioError(`failure ${code}`, code as Code));
      expect(fromGrpcError(serviceError(status.code, status.details))).toMatchObject({
        code,
        message: `failure ${code}`,
      });
    }
  });
});
