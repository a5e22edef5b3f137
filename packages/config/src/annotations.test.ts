import { annotationProblem, annotationReports, knownAnnotations, requestedIPMode } from './annotations.ts';
import { annotations } from './constants.ts';

describe('annotationReports', () => {
  it('names an unknown herald.dev/ key with the closest known key', () => {
    expect(
      annotationReports({
        'herald.dev/adress-pool': 'blue',
        'herald.dev/loadbalancerips': '198.51.100.7',
        'herald.dev/shiny': 'yes',
      }),
    ).toEqual([
      {
        key: 'herald.dev/adress-pool',
        message:
          'herald.dev/adress-pool: unknown annotation, ignored; did you mean "herald.dev/address-pool"?',
      },
      {
        key: 'herald.dev/loadbalancerips',
        message:
          'herald.dev/loadbalancerips: unknown annotation, ignored; did you mean "herald.dev/loadBalancerIPs"?',
      },
      { key: 'herald.dev/shiny', message: 'herald.dev/shiny: unknown annotation, ignored' },
    ]);
  });

  it('ignores other prefixes and every known key with a valid value', () => {
    const all: Record<string, string> = {
      'metallb.universe.tf/address-pool': 'x',
      'example.com/herald.dev': 'y',
      [annotations.ipMode]: 'Proxy',
    };
    for (const key of knownAnnotations) if (key !== annotations.ipMode) all[key] = 'anything';
    expect(annotationReports(all)).toEqual([]);
    expect(annotationReports(undefined)).toEqual([]);
  });

  it('reports an invalid ip-mode in the same style, with the value it probably meant', () => {
    expect(annotationReports({ [annotations.ipMode]: 'proxy' })).toEqual([
      {
        key: annotations.ipMode,
        message: 'herald.dev/ip-mode: "proxy" is not one of VIP, Proxy; did you mean "Proxy"?',
      },
    ]);
    expect(annotationReports({ [annotations.ipMode]: 'DSR' })[0]?.message).toBe(
      'herald.dev/ip-mode: "DSR" is not one of VIP, Proxy',
    );
  });
});

describe('requestedIPMode and annotationProblem', () => {
  it('reads VIP and Proxy exactly, nothing else', () => {
    expect(requestedIPMode({ [annotations.ipMode]: 'Proxy' })).toBe('Proxy');
    expect(requestedIPMode({ [annotations.ipMode]: 'VIP' })).toBe('VIP');
    expect(requestedIPMode({ [annotations.ipMode]: 'proxy' })).toBeUndefined();
    expect(requestedIPMode({})).toBeUndefined();
  });

  it('suggests only a close candidate', () => {
    expect(annotationProblem('k', 'bad', { word: 'defautl', candidates: ['default', 'blue'] })).toBe(
      'k: bad; did you mean "default"?',
    );
    expect(annotationProblem('k', 'bad', { word: 'zzz', candidates: ['default'] })).toBe('k: bad');
  });
});
