/**
 * BFD Control packets as FRR's bfdd and BIRD build them, written out byte by byte from their sources, for
 * the interop tests (test data, not used at run time). Our discriminator in them is 0x0000beef.
 *  - FRR bfdd/bfd_packet.c ptm_bfd_snd(): Vers 1, C bit only with `control-plane-independent`, D never,
 *    Length 24, timers from cur_timers — the 1 s "slow timers" (bs_set_slow_timers sets Required Min RX to
 *    1 s too) until a Poll Sequence finishes — and the new timers only while polling; Required Min Echo RX
 *    is its echo-receive-interval (50 ms default, sent even with echo mode off). Defaults 300 ms × 3. On
 *    going Down it zeroes its remote discriminator (ptm_bfd_sess_dn); `shutdown` (bfd_set_shutdown) sends
 *    AdminDown keeping the diagnostic of the last change (0 after Up), then stops transmitting.
 *  - BIRD proto/bfd/packets.c bfd_send_ctl(): Length 24, des_min_tx_new / req_min_rx_new, echo 0; defaults
 *    min rx 10 ms, min tx 100 ms, idle tx 1 s, multiplier 5.
 */
const hex = (...fields: string[]) => fields.join('');

export const OUR_DISCRIMINATOR_IN_VECTORS = 0xbeef;

export const interopVectors = {
  frrDown: hex('20400318', '32a1f0c7', '00000000', '000f4240', '000f4240', '0000c350'),
  frrInit: hex('20800318', '32a1f0c7', '0000beef', '000f4240', '000f4240', '0000c350'),
  frrUpPoll: hex('20e00318', '32a1f0c7', '0000beef', '000493e0', '000493e0', '0000c350'),
  frrUpFinal: hex('20d00318', '32a1f0c7', '0000beef', '000493e0', '000493e0', '0000c350'),
  frrUp: hex('20c00318', '32a1f0c7', '0000beef', '000493e0', '000493e0', '0000c350'),
  frrAdminDown: hex('20000318', '32a1f0c7', '0000beef', '000f4240', '000f4240', '0000c350'),
  frrDownAfterExpiry: hex('21400318', '32a1f0c7', '00000000', '000f4240', '000f4240', '0000c350'),
  birdDown: hex('20400518', '5eed0001', '00000000', '000f4240', '00002710', '00000000'),
  birdInit: hex('20800518', '5eed0001', '0000beef', '000f4240', '00002710', '00000000'),
  birdUpPoll: hex('20e00518', '5eed0001', '0000beef', '000186a0', '00002710', '00000000'),
} as const;
