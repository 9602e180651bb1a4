import {
  defineClient,
  defineServer,
  type ElementHandlers,
  InvalidArgumentError,
  MeridioError,
  type NetworkServiceClient,
  type NetworkServiceServer,
} from '../core/index.js';

export interface InjectErrorOptions {
  /** What is thrown; default a MeridioError with code UNKNOWN. */
  readonly error?: Error;
  /**
   * Zero-based indexes of the Requests that fail, ascending; `-1` makes every call from the index before
   * it on fail. `[0, 2, -1]`: calls 0 and 2, 3, 4, … fail. Default `[-1]`: every call fails.
   */
  readonly requestErrorTimes?: readonly number[];
  /** The same for Close. */
  readonly closeErrorTimes?: readonly number[];
}

/** Counts calls and says whether this one fails (the NSM SDK's error supplier). */
class ErrorTimes {
  private calls = 0;

  constructor(private readonly times: readonly number[]) {
    for (const time of times) {
      if (!Number.isInteger(time) || time < -1) {
        throw new InvalidArgumentError(`error times are call indexes (0, 1, …) or -1, not ${time}`);
      }
    }
  }

  failsNow(): boolean {
    const call = this.calls++;
    for (const time of this.times) {
      if (time > call) return false;
      if (time === call || time === -1) return true;
    }
    return false;
  }
}

function handlers(options: InjectErrorOptions): ElementHandlers {
  const error = options.error ?? new MeridioError('an error injected by injectError');
  const requests = new ErrorTimes(options.requestErrorTimes ?? [-1]);
  const closes = new ErrorTimes(options.closeErrorTimes ?? [-1]);
  return {
    request: (ctx, request, next) =>
      requests.failsNow() ? Promise.reject(error) : next.request(ctx, request),
    close: (ctx, connection, next) =>
      closes.failsNow() ? Promise.reject(error) : next.close(ctx, connection),
  };
}

/** Fails chosen Requests and Closes without calling next; the others pass through. */
export function injectErrorServer(options: InjectErrorOptions = {}): NetworkServiceServer {
  return defineServer('inject-error', handlers(options));
}

export function injectErrorClient(options: InjectErrorOptions = {}): NetworkServiceClient {
  return defineClient('inject-error', handlers(options));
}
