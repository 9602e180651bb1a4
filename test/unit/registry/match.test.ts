import { msToTimestamp } from '../../../sdk/core/index.js';
import {
  isLabelSubset,
  matchEndpoint,
  matchService,
  newNetworkService,
  newNetworkServiceEndpoint,
  resolveLabelTemplate,
  selectEndpointsByLabels,
} from '../../../sdk/registry/index.js';

const lb = newNetworkServiceEndpoint({
  name: 'lb-a',
  network_service_names: ['load-balancer', 'proxy'],
  network_service_labels: { 'load-balancer': { labels: { nodeName: 'n1', zone: 'z' } } },
  url: 'unix:///run/lb-a.sock',
  expiration_time: msToTimestamp(1_900_000_000_500),
});

describe('matchEndpoint (NSM matchutils rules)', () => {
  it('matches everything with an empty query', () => {
    expect(matchEndpoint({}, lb)).toBe(true);
  });

  it('compares the name exactly', () => {
    expect(matchEndpoint({ name: 'lb-a' }, lb)).toBe(true);
    expect(matchEndpoint({ name: 'lb' }, lb)).toBe(false);
  });

  it('wants the queried network service names to be a subset', () => {
    expect(matchEndpoint({ network_service_names: ['proxy'] }, lb)).toBe(true);
    expect(matchEndpoint({ network_service_names: ['proxy', 'load-balancer'] }, lb)).toBe(true);
    expect(matchEndpoint({ network_service_names: ['proxy', 'other'] }, lb)).toBe(false);
  });

  it('wants the queried labels to be a subset, per service, and the service to be labelled', () => {
    expect(
      matchEndpoint({ network_service_labels: { 'load-balancer': { labels: { nodeName: 'n1' } } } }, lb),
    ).toBe(true);
    expect(
      matchEndpoint({ network_service_labels: { 'load-balancer': { labels: { nodeName: 'n2' } } } }, lb),
    ).toBe(false);
    expect(
      matchEndpoint({ network_service_labels: { 'load-balancer': { labels: { other: 'x' } } } }, lb),
    ).toBe(false);
    expect(matchEndpoint({ network_service_labels: { proxy: { labels: {} } } }, lb)).toBe(false);
  });

  it('finds the url by substring and the expiration time by the second', () => {
    expect(matchEndpoint({ url: 'lb-a.sock' }, lb)).toBe(true);
    expect(matchEndpoint({ url: 'lb-b.sock' }, lb)).toBe(false);
    expect(matchEndpoint({ expiration_time: msToTimestamp(1_900_000_000_000) }, lb)).toBe(true);
    expect(matchEndpoint({ expiration_time: msToTimestamp(1_900_000_001_000) }, lb)).toBe(false);
  });
});

describe('matchService', () => {
  const service = newNetworkService({
    name: 'proxy',
    payload: 'ETHERNET',
    matches: [{ source_selector: { a: '1' }, routes: [{ destination_selector: { b: '2' } }] }],
  });

  it('compares name and payload exactly and matches only when listed', () => {
    expect(matchService({}, service)).toBe(true);
    expect(matchService({ name: 'proxy' }, service)).toBe(true);
    expect(matchService({ name: 'prox' }, service)).toBe(false);
    expect(matchService({ payload: 'IP' }, service)).toBe(false);
    expect(matchService({ matches: service.matches }, service)).toBe(true);
    expect(matchService({ matches: [{ source_selector: { a: '2' } }] }, service)).toBe(false);
  });
});

describe('label templates', () => {
  it('resolves {{.key}} and {{index . "key"}} from the request labels', () => {
    expect(resolveLabelTemplate('{{.nodeName}}', { nodeName: 'n1' })).toBe('n1');
    expect(resolveLabelTemplate('{{ .nodeName }}', { nodeName: 'n1' })).toBe('n1');
    expect(resolveLabelTemplate('{{index . "nodeName"}}', { nodeName: 'n1' })).toBe('n1');
    expect(resolveLabelTemplate('pre-{{.a}}-{{.b}}', { a: 'x', b: 'y' })).toBe('pre-x-y');
  });

  it('takes plain values and unknown actions literally, and resolves a missing label to nothing', () => {
    expect(resolveLabelTemplate('plain', {})).toBe('plain');
    expect(resolveLabelTemplate('{{range .}}x{{end}}', { a: '1' })).toBe('{{range .}}x{{end}}');
    expect(resolveLabelTemplate('{{.nodeName}}', {})).toBeUndefined();
  });

  it('isLabelSubset needs every selector key present with the literal or resolved value', () => {
    expect(isLabelSubset({ nodeName: 'n1' }, { nodeName: '{{.nodeName}}' }, { nodeName: 'n1' })).toBe(true);
    expect(isLabelSubset({ nodeName: 'n1' }, { nodeName: '{{.nodeName}}' }, { nodeName: 'n2' })).toBe(false);
    expect(isLabelSubset({}, { nodeName: '{{.nodeName}}' }, { nodeName: 'n1' })).toBe(false);
    expect(isLabelSubset({ a: '1', b: '2' }, {}, {})).toBe(true);
  });
});

describe('selectEndpointsByLabels (NSM MatchEndpoint)', () => {
  const onNode = (name: string, node: string) =>
    newNetworkServiceEndpoint({
      name,
      network_service_names: ['proxy'],
      network_service_labels: { proxy: { labels: { nodeName: node } } },
      url: `unix:///${name}`,
    });
  const endpoints = [onNode('p1', 'n1'), onNode('p2', 'n2'), onNode('p3', 'n1')];
  const names = (list: { name: string }[]) => list.map((e) => e.name);

  it('selects every endpoint when the service has no matches', () => {
    expect(names(selectEndpointsByLabels(newNetworkService({ name: 'proxy' }), {}, endpoints))).toEqual([
      'p1',
      'p2',
      'p3',
    ]);
  });

  it('selects by the destination selector of the first applicable match, with templates', () => {
    const service = newNetworkService({
      name: 'proxy',
      matches: [
        {
          source_selector: { nodeName: '{{.nodeName}}' },
          routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }],
        },
      ],
    });
    expect(names(selectEndpointsByLabels(service, { nodeName: 'n1' }, endpoints))).toEqual(['p1', 'p3']);
    expect(names(selectEndpointsByLabels(service, { nodeName: 'n2' }, endpoints))).toEqual(['p2']);
    expect(names(selectEndpointsByLabels(service, { nodeName: 'n9' }, endpoints))).toEqual([]);
    // The source selector does not apply to a request without the label: no match applies, nobody is selected.
    expect(names(selectEndpointsByLabels(service, {}, endpoints))).toEqual([]);
  });

  it('passes on from a fallthrough match that selects nobody', () => {
    const service = newNetworkService({
      name: 'proxy',
      matches: [
        { source_selector: {}, fallthrough: true, routes: [{ destination_selector: { nodeName: 'n7' } }] },
        { source_selector: {}, routes: [{ destination_selector: { nodeName: 'n2' } }] },
      ],
    });
    expect(names(selectEndpointsByLabels(service, {}, endpoints))).toEqual(['p2']);
  });

  it('selects every endpoint for a match with metadata and no routes', () => {
    const service = newNetworkService({
      name: 'proxy',
      matches: [{ source_selector: { app: 'x' }, metadata: { labels: { p2p: 'true' } } }],
    });
    expect(names(selectEndpointsByLabels(service, { app: 'x' }, endpoints))).toEqual(['p1', 'p2', 'p3']);
  });
});
