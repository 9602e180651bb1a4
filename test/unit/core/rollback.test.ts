import {
  CancelledError,
  closeAfterFailure,
  Code,
  type Connection,
  Context,
  InvalidArgumentError,
  newConnection,
} from '../../../sdk/core/index.js';

describe('closeAfterFailure', () => {
  const connection: Connection = newConnection({ id: 'c1', network_service: 's' });

  it("closes downstream in a context that outlives the failed request's, then throws the cause", async () => {
    const [ctx, cancel] = Context.background().withCancel();
    cancel(new CancelledError('the caller went away'));
    const cause = new InvalidArgumentError('no address left');
    const closed: { id: string; aborted: boolean }[] = [];
    await expect(
      closeAfterFailure(
        ctx,
        connection,
        async (closeCtx, c) => void closed.push({ id: c.id, aborted: closeCtx.signal.aborted }),
        cause,
      ),
    ).rejects.toBe(cause);
    expect(closed).toEqual([{ id: 'c1', aborted: false }]);
  });

  it("joins the close's own failure to the cause, keeping the cause's code", async () => {
    const failure = closeAfterFailure(
      Context.background(),
      connection,
      async () => {
        throw new Error('the veth is busy');
      },
      new InvalidArgumentError('no address left'),
    );
    await expect(failure).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'no address left; and then: the veth is busy',
    });
  });
});
