import { families, familyBits, fromIPFamily, maxLength, toIPFamily } from './family.ts';

test("one spelling inside Herald, Kubernetes' at the edge", () => {
  expect(families).toEqual(['ipv4', 'ipv6']);
  expect(families.map(toIPFamily)).toEqual(['IPv4', 'IPv6']);
  expect(['IPv4', 'IPv6', 'ipv4', 'IPV4', undefined].map(fromIPFamily)).toEqual([
    'ipv4',
    'ipv6',
    undefined,
    undefined,
    undefined,
  ]);
  expect(families.map(maxLength)).toEqual([familyBits.ipv4, familyBits.ipv6]);
  expect(familyBits).toEqual({ ipv4: 32, ipv6: 128 });
});
