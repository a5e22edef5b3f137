import { createEventWriter, notificationFields } from './output.ts';

const at = () => new Date('2026-01-02T03:04:05.000Z');

describe('bgp event lines', () => {
  test('JSON: one object per line with time and event first', () => {
    const lines: string[] = [];
    createEventWriter(true, (l) => lines.push(l), at)('state', { from: 'Active', to: 'OpenSent' });
    expect(lines).toEqual([
      '{"time":"2026-01-02T03:04:05.000Z","event":"state","from":"Active","to":"OpenSent"}\n',
    ]);
  });

  test('text: key=value, strings with spaces quoted', () => {
    const lines: string[] = [];
    createEventWriter(
      false,
      (l) => lines.push(l),
      at,
    )('closed', { reason: 'hold timer expired', wasEstablished: true });
    expect(lines).toEqual([
      '2026-01-02T03:04:05.000Z closed reason="hold timer expired" wasEstablished=true\n',
    ]);
  });

  test('NOTIFICATION fields: data as hex, shutdown communication kept', () => {
    expect(
      notificationFields({
        code: 6,
        subcode: 2,
        codeName: 'Cease',
        subcodeName: 'Administrative Shutdown',
        data: Buffer.from([1, 2]),
        communication: 'maintenance',
      }),
    ).toEqual({
      code: 6,
      subcode: 2,
      codeName: 'Cease',
      subcodeName: 'Administrative Shutdown',
      data: '0102',
      communication: 'maintenance',
    });
  });
});
