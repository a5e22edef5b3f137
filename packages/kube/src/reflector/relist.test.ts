import { relistDelta } from './relist.ts';

const obj = (name: string, rv: string) => ({ metadata: { namespace: 'ns', name, resourceVersion: rv } });

describe('relistDelta', () => {
  it('reports only real changes after a relist, never a delete-then-add of an unchanged object', () => {
    const previous = new Map([
      ['ns/a', obj('a', '1')],
      ['ns/b', obj('b', '2')],
      ['ns/c', obj('c', '3')],
    ]);
    const d = relistDelta(previous, [obj('a', '1'), obj('b', '5'), obj('d', '6')]);
    expect(d.added).toEqual(['ns/d']);
    expect(d.updated).toEqual(['ns/b']);
    expect(d.deleted).toEqual(['ns/c']);
    expect(d.unchanged).toBe(1);
    expect([...d.next.keys()]).toEqual(['ns/a', 'ns/b', 'ns/d']);
  });
  it('an identical relist changes nothing', () => {
    const items = [obj('a', '1'), obj('b', '2')];
    const d = relistDelta(new Map(items.map((i) => [`ns/${i.metadata.name}`, i])), items);
    expect([d.added, d.updated, d.deleted, d.unchanged]).toEqual([[], [], [], 2]);
  });
});
