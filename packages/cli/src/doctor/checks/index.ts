// Every check, in report order. Pure: Snapshot in, Findings out.
import type { Finding, Snapshot } from '../types.ts';
import { checkConfig } from './config.ts';
import { checkController } from './controller.ts';
import { checkInstall } from './install.ts';
import { checkPools } from './pools.ts';
import { checkRbac } from './rbac.ts';
import { checkServices } from './services.ts';
import { checkSpeakers } from './speakers.ts';

export interface CheckOptions {
  /** A pool this full (percent of its addresses in use) is a warning. */
  readonly poolWarnPercent: number;
}

export function runChecks(s: Snapshot, o: CheckOptions): Finding[] {
  const install = checkInstall(s);
  if (s.apiError !== undefined) return install;
  return [
    ...install,
    ...checkConfig(s),
    ...checkController(s),
    ...checkSpeakers(s),
    ...checkRbac(s),
    ...checkServices(s),
    ...checkPools(s, o.poolWarnPercent),
  ];
}
