import { type Setting, setting } from '../settings/index.js';
import { parseMetricsAddress } from './address.js';

/**
 * The `--metrics` / `NSM_METRICS` setting every long-running process adds to its settings:
 * `metrics: metricsSetting()`. Empty by default (not served).
 */
export function metricsSetting(defaultValue = ''): Setting<string> {
  const base = setting.string({
    placeholder: 'address',
    description:
      'where Prometheus metrics are served (GET /metrics): :port, host:port, [ipv6]:port or unix:///path; empty: not served',
    default: defaultValue,
    allowEmpty: true,
  });
  return Object.freeze({
    ...base,
    parse: (text: string): string => {
      try {
        parseMetricsAddress(text);
      } catch {
        throw new Error(':port, host:port, [ipv6]:port or unix:///absolute/path');
      }
      return text.trim();
    },
  });
}
