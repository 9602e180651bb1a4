import { describeElementContract, newSandbox } from '../../../sdk/testing/index.js';
import { extraContext } from './index.js';

describeElementContract('extraContext', () => extraContext({ trench: 'trench-a' }));

describe('extraContext', () => {
  it("writes its values into the connection, over the client's for the same key", async () => {
    const sandbox = newSandbox({
      endpoint: { additional: [extraContext({ trench: 'trench-a', owner: 'nse' })] },
    });
    const connection = await sandbox.request({
      connection: {
        id: 'a',
        network_service: 's',
        context: { extra_context: { owner: 'client', keep: 'me' } },
      },
    });
    expect(connection.context?.extra_context).toEqual({ owner: 'nse', keep: 'me', trench: 'trench-a' });
    sandbox.stop();
  });
});
