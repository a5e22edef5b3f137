// A socket layer for worker tests that must not touch the network (BfdService's `udp.module`): every socket
// refuses to open, so a test that opens one fails loudly.
export function openUdpSocket(): never {
  throw new Error('this test opens no sockets');
}
