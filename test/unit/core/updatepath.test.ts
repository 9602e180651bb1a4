import {
  chainServer,
  clientToServer,
  type Connection,
  Context,
  type NetworkServiceServer,
  newConnection,
  newRequest,
  type Path,
  runClose,
  runRequest,
  updatepathClient,
  updatepathServer,
} from '../../../sdk/core/index.js';
import { checkRequestServer } from '../../../sdk/testing/index.js';

// The samples of the NSM SDK's updatepath tests (common_test.go), for the server and the client.
const nse1 = 'nse-1';
const nse2 = 'nse-2';
const nse3 = 'nse-3';
const segmentId1 = '36ce7f0c-9f6d-40a4-8b39-6b56ff07eea9';
const segmentId2 = 'ece490ea-dfe8-4512-a3ca-5be7b39515c5';
const segmentId3 = 'f9a83e55-0a4f-3647-144a-98a9ee8fb231';
const connectionId = '54ec76a7-d642-43ca-87bc-ab51765f575a';

function path(index: number, segments: number): Path | null {
  if (segments === 0) return null;
  const all = [
    { name: nse1, id: segmentId1 },
    { name: nse2, id: segmentId2 },
    { name: nse3, id: segmentId3 },
  ].slice(0, segments);
  return newConnection({
    path: { index, path_segments: all.map((s) => ({ ...s, token: '', expires: null, metrics: {} })) },
  }).path;
}

function requestOf(id: string, requestPath: Path | null) {
  return newRequest({ connection: { id, path: requestPath } });
}

/** The path with the given segments' ids blanked (they are new uuids the test cannot know). */
function withoutIds(p: Path | null, ...unknown: number[]): Path | null {
  if (p === null) return null;
  const copy = structuredClone(p);
  for (const i of unknown) copy.path_segments[i]!.id = '';
  return copy;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const kinds: [string, (name: string) => NetworkServiceServer][] = [
  ['server', updatepathServer],
  ['client', (name) => clientToServer(updatepathClient(name))],
];

describe.each(kinds)('updatepath (%s)', (_kind, newUpdatePath) => {
  const ctx = Context.background();
  const run = (server: NetworkServiceServer, id: string, p: Path | null): Promise<Connection> =>
    runRequest(server, ctx, requestOf(id, p));

  it('NoPathNoID: adds a segment with a new id and uses it as the connection id', async () => {
    const conn = await run(newUpdatePath(nse1), '', null);
    expect(withoutIds(conn.path, 0)).toEqual(withoutIds(path(0, 1), 0));
    expect(conn.id).toMatch(uuid);
    expect(conn.id).toBe(conn.path!.path_segments[0]!.id);
  });

  it('NoPath: adds a segment with the connection id', async () => {
    const conn = await run(newUpdatePath(nse1), connectionId, null);
    const expected = path(0, 1)!;
    expected.path_segments[0]!.id = connectionId;
    expect(conn.path).toEqual(expected);
    expect(conn.id).toBe(connectionId);
  });

  it('SameNameDifferentID: takes the id of its own current segment', async () => {
    const conn = await run(newUpdatePath(nse2), connectionId, path(1, 2));
    expect(conn.path).toEqual(path(1, 2));
    expect(conn.id).toBe(segmentId2);
  });

  it('DifferentNameInvalidID: fails when the current segment id is not the connection id', async () => {
    await expect(run(newUpdatePath(nse3), connectionId, path(1, 2))).rejects.toThrow(
      'differs from the connection id',
    );
  });

  it('InvalidIndex: fails when the index is past the segments', async () => {
    await expect(run(newUpdatePath(nse3), segmentId2, path(3, 2))).rejects.toThrow(
      'past its 2 path segments',
    );
  });

  it('DifferentNextName: renames the next segment with a new id; restores the caller hop on return', async () => {
    let seen: Connection | undefined;
    const server = chainServer(
      newUpdatePath(nse3),
      checkRequestServer((r) => void (seen = structuredClone(r.connection!))),
    );
    const requestPath = path(1, 3)!;
    requestPath.path_segments[2]!.name = 'different';
    const conn = await run(server, segmentId2, requestPath);
    expect(withoutIds(seen!.path, 2)).toEqual(withoutIds(path(2, 3), 2));
    expect(seen!.id).toBe(seen!.path!.path_segments[2]!.id);
    expect([segmentId2, segmentId3]).not.toContain(seen!.id);
    expect(conn.path).toEqual({ ...seen!.path!, index: 1 });
    expect(conn.id).toBe(segmentId2);
  });

  it('NoNextAvailable: appends a segment with a new id; restores the caller hop on return', async () => {
    let seen: Connection | undefined;
    const server = chainServer(
      newUpdatePath(nse3),
      checkRequestServer((r) => void (seen = structuredClone(r.connection!))),
    );
    const conn = await run(server, segmentId2, path(1, 2));
    expect(withoutIds(seen!.path, 2)).toEqual(withoutIds(path(2, 3), 2));
    expect(seen!.id).toBe(seen!.path!.path_segments[2]!.id);
    expect(seen!.id).not.toBe(segmentId2);
    expect(conn.path).toEqual({ ...seen!.path!, index: 1 });
    expect(conn.id).toBe(segmentId2);
  });

  it('SameNextName: reuses the next segment and its id; restores the caller hop on return', async () => {
    let seen: Connection | undefined;
    const server = chainServer(
      newUpdatePath(nse3),
      checkRequestServer((r) => void (seen = structuredClone(r.connection!))),
    );
    const conn = await run(server, segmentId2, path(1, 3));
    expect(seen!.path).toEqual(path(2, 3));
    expect(seen!.id).toBe(segmentId3);
    expect(conn.path).toEqual(path(1, 3));
    expect(conn.id).toBe(segmentId2);
  });

  it('Close moves to the same hop as Request did', async () => {
    let closedId = '';
    const server = chainServer(newUpdatePath(nse3), {
      kind: 'server',
      name: 'record-close',
      request: (c, r, next) => next.request(c, r),
      close: (c, connection, next) => {
        closedId = connection.id;
        return next.close(c, connection);
      },
    });
    const conn = await run(server, segmentId2, path(1, 3));
    await runClose(server, ctx, conn);
    expect(closedId).toBe(segmentId3);
  });
});
