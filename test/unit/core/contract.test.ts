import {
  beginClient,
  beginServer,
  chainClient,
  connectServer,
  metadataClient,
  metadataServer,
  monitorServer,
  refreshClient,
  retryClient,
  timeoutServer,
  updatepathClient,
  updatepathServer,
  updatetokenClient,
  updatetokenServer,
} from '../../../sdk/core/index.js';
import { countClient, describeElementContract } from '../../../sdk/testing/index.js';

describeElementContract('metadataServer', () => metadataServer(), { environment: 'bare' });
describeElementContract('metadataClient', () => metadataClient(), { environment: 'bare' });
describeElementContract('beginServer', () => beginServer(), {
  environment: 'bare',
  absorbsUnknownClose: true,
});
describeElementContract('beginClient', () => beginClient(), {
  environment: 'bare',
  absorbsUnknownClose: true,
});
describeElementContract('updatepathServer', () => updatepathServer('contract-endpoint-2'), {
  environment: 'bare',
});
describeElementContract('updatepathClient', () => updatepathClient('contract-client-2'), {
  environment: 'bare',
});
describeElementContract('updatetokenServer', () => updatetokenServer());
describeElementContract('updatetokenClient', () => updatetokenClient());
describeElementContract('timeoutServer', () => timeoutServer());
describeElementContract('refreshClient', () => refreshClient());
describeElementContract('retryClient', () => retryClient(countClient(), { intervalMs: 1 }), {
  environment: 'bare',
});
describeElementContract('connectServer', () => connectServer(chainClient(countClient())), {
  environment: 'bare',
});
describeElementContract('monitorServer', () => monitorServer(), { environment: 'bare' });
