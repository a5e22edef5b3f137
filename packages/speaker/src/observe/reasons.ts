/** Reasons of the Events the speaker writes on Services (docs/operations.md lists each; a test checks it). */
export const reasons = {
  /** This node started announcing the Service's IPs. */
  announcementStarted: 'AnnouncementStarted',
  /** This node stopped announcing them (the message says why). */
  announcementStopped: 'AnnouncementStopped',
} as const;
