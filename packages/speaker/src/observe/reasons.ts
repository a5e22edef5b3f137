/** Reasons of the Events the speaker writes (docs/operations.md lists each; a test checks it). */
export const reasons = {
  /** On a Service: this node started announcing the Service's IPs. */
  announcementStarted: 'AnnouncementStarted',
  /** On a Service: this node stopped announcing them (the message says why). */
  announcementStopped: 'AnnouncementStopped',
  /** On the Node: a BFD session with a peer came Up. */
  bfdSessionUp: 'BfdSessionUp',
  /** On the Node: a BFD session went Down (Warning when it closed BGP, Normal when the router took it AdminDown). */
  bfdSessionDown: 'BfdSessionDown',
  /** On a Service, layer-2 mode: this node now answers ARP/NDP for one of its addresses (the message says which, and who did before). */
  l2AnnouncerChanged: 'L2AnnouncerChanged',
  /** On the Node (Warning): a peer's TCP-MD5 password cannot be used, so its session stays down. */
  peerPasswordUnavailable: 'PeerPasswordUnavailable',
  /** On the Node: a peer's password changed or can be used again; only that session restarts. */
  peerPasswordChanged: 'PeerPasswordChanged',
} as const;
