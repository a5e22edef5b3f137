// Session events as lines: JSON (one object per line, for scripts and tests) or plain text for a terminal.
import type { NotificationInfo } from '@herald/bgp';

export type EventFields = Record<string, unknown>;

export type EventWriter = (event: string, fields?: EventFields) => void;

export function notificationFields(n: NotificationInfo): EventFields {
  return {
    code: n.code,
    subcode: n.subcode,
    codeName: n.codeName,
    subcodeName: n.subcodeName,
    ...(n.data.length > 0 ? { data: n.data.toString('hex') } : {}),
    ...(n.communication !== undefined ? { communication: n.communication } : {}),
  };
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export function createEventWriter(
  json: boolean,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): EventWriter {
  return (event, fields = {}) => {
    const time = now().toISOString();
    if (json) {
      write(`${JSON.stringify({ time, event, ...fields })}\n`);
      return;
    }
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${textValue(v)}`)
      .join(' ');
    write(`${time} ${event}${rest ? ` ${rest}` : ''}\n`);
  };
}
