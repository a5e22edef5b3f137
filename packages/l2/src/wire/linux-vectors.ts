/**
 * Frames the Linux kernel (6.18) sent between two network namespaces joined by a veth pair, captured with
 * an AF_PACKET socket on 2026-12-01: B (b0, 06:13:30:36:21:90, 203.0.113.42/29, 2001:db8:1::4:2/112) asks
 * for addresses, A (a0, ee:1a:be:be:ff:5b) answers for the ones it was then given (203.0.113.43,
 * 2001:db8:1::4:3). Unit tests decode them, and check that the codec builds Linux's own answers byte for
 * byte from Linux's own questions.
 */
export const linuxFrames = {
  /** B: who has 203.0.113.43? tell 203.0.113.42 */
  arpRequest: 'ffffffffffff06133036219008060001080006040001061330362190cb00712a000000000000cb00712b',
  /** A's kernel: 203.0.113.43 is at ee:1a:be:be:ff:5b */
  arpReply: '061330362190ee1abebeff5b08060001080006040002ee1abebeff5bcb00712b061330362190cb00712a',
  /** B: Neighbor Solicitation for 2001:db8:1::4:3 to its solicited-node group, with B's link-layer address. */
  neighborSolicitation:
    '3333ff04000306133036219086dd6000000000203aff20010db8000100000000000000040002ff0200000000000000000001ff040003' +
    '8700c63d0000000020010db80001000000000000000400030101061330362190',
  /** A's kernel: solicited Neighbor Advertisement (S, O) for 2001:db8:1::4:3, from that address. */
  neighborAdvertisement:
    '061330362190ee1abebeff5b86dd6000000000203aff20010db800010000000000000004000320010db8000100000000000000040002' +
    '8800e02b6000000020010db80001000000000000000400030201ee1abebeff5b',
  /** A's kernel (ndisc_notify): unsolicited Neighbor Advertisement (O) for 2001:db8:1::4:3 to ff02::1. */
  unsolicitedNeighborAdvertisement:
    '333300000001ee1abebeff5b86dd6000000000203aff20010db8000100000000000000040003ff020000000000000000000000000001' +
    '88004ee82000000020010db80001000000000000000400030201ee1abebeff5b',
  /** A's kernel: Duplicate Address Detection probe for 2001:db8:1::4:3 (source ::, RFC 7527 Nonce option). */
  duplicateAddressDetection:
    '3333ff040003ee1abebeff5b86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff040003' +
    '87003d550000000020010db80001000000000000000400030e01a0564fcb1160',
} as const;

export const LINUX_A_MAC = 'ee:1a:be:be:ff:5b';
export const LINUX_B_MAC = '06:13:30:36:21:90';
