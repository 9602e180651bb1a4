import {
  interfaceMonitorClient,
  interfaceMonitorServer,
} from '../../../../sdk/middleware/interface-monitor/index.js';
import { describeElementContract } from '../../../../sdk/testing/index.js';

// Without a KERNEL mechanism there is nothing to watch: these check the chain behaviour only; the
// kernel side is tested in test/integration/nsm/interface-monitor.test.ts.
describeElementContract('interfaceMonitorServer', () => interfaceMonitorServer());
describeElementContract('interfaceMonitorClient', () => interfaceMonitorClient());
