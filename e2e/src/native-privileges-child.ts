// Run by native-privileges.test.ts as an unprivileged process: tries each kind of native socket and prints
// one JSON line with what worked and the error of what did not.
import {
  closeFd,
  ETH_P_ARP,
  nativeSupport,
  openBgpSocket,
  openPacketSocket,
  openUdpSocket,
} from '@herald/native';

const results: Record<string, string> = {};
function attempt(name: string, fn: () => void): void {
  try {
    fn();
    results[name] = 'ok';
  } catch (err) {
    results[name] = (err as Error).message;
  }
}

attempt('TCP_MD5SIG, IP_TTL, IP_MINTTL', () =>
  closeFd(openBgpSocket({ remote: '203.0.113.2', md5Key: 'key', ttl: 255, minTtl: 254 })),
);
attempt('UDP with TTL and BPF filter', () =>
  openUdpSocket({ family: 6, port: 0, ttl: 255, minReceiveTtl: 255 }).close(),
);
attempt('SO_BINDTODEVICE', () => closeFd(openBgpSocket({ remote: '203.0.113.2', device: 'lo' })));
attempt('AF_PACKET', () => openPacketSocket({ device: 'lo', protocol: ETH_P_ARP }).close());
console.log(JSON.stringify({ uid: process.getuid?.(), support: nativeSupport(), results }));
