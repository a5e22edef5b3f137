/**
 * @herald/l2 — layer-2 mode as a sans-I/O core (no sockets, no timers, no clock), layered like @herald/bgp
 * and @herald/bfd:
 *   wire/      Ethernet, ARP (RFC 826, RFC 5227 announcements), IPv6 Neighbor Discovery (RFC 4861 NS/NA with
 *              the §7.1 checks and the ICMPv6 checksum), and the stateless responder over them;
 *   election/  the announcer of an address: rendezvous hashing over the available candidates;
 *   mesh/      the authenticated heartbeat between speakers (HMAC-SHA256, replay-proof echoes) and liveness;
 *   engine/    all of it for one node: inputs and clock readings in, datagrams and frames out.
 * The speaker's worker thread drives the engine with @herald/native's sockets (docs/l2.md).
 */

export { chooseAnnouncer, highestScore, rendezvousScore } from './election/rendezvous.ts';
export {
  type AnnouncerChange,
  type Assignment,
  type AssignmentStatus,
  type EngineOptions,
  type EngineOutput,
  type EngineStatus,
  type InterfaceInfo,
  L2Engine,
  type OutgoingFrame,
} from './engine/engine.ts';
export {
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  type HeartbeatDecodeResult,
  type HeartbeatDiscardReason,
  MAX_HEARTBEAT_LENGTH,
  MIN_KEY_LENGTH,
  newIncarnation,
} from './mesh/heartbeat.ts';
export {
  type Datagram,
  type MemberAddress,
  Mesh,
  type MeshOptions,
  type PeerChange,
  type PeerSnapshot,
  type PeerState,
  type ReceiveVerdict,
} from './mesh/mesh.ts';
export {
  ARP_PACKET_LENGTH,
  type ArpDecodeResult,
  ArpOperation,
  type ArpPacket,
  arpAnnouncement,
  arpReply,
  decodeArp,
  decodeArpFrame,
  encodeArpFrame,
  isArpProbe,
} from './wire/arp.ts';
export { icmpv6Checksum, internetChecksum } from './wire/checksum.ts';
export {
  BROADCAST_MAC,
  decodeEthernet,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  formatMac,
  isUnicastMac,
  parseMac,
  sameMac,
  ZERO_MAC,
} from './wire/ethernet.ts';
export {
  ALL_NODES_ADDRESS,
  decodeNeighborFrame,
  decodeNeighborPacket,
  encodeNeighborFrame,
  multicastMac,
  type NeighborDecodeResult,
  type NeighborMessage,
  neighborAdvertisementFor,
  neighborSolicitation,
  solicitedNodeAddress,
  unsolicitedNeighborAdvertisement,
} from './wire/ndp.ts';
export {
  type NeighborProtocol,
  type ResponderContext,
  type ResponderVerdict,
  respondToArp,
  respondToNeighborDiscovery,
} from './wire/responder.ts';
export { WIRE_DISCARD_REASONS, type WireDiscard, type WireDiscardReason } from './wire/types.ts';
