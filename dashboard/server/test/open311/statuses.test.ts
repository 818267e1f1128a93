import { describe, expect, it } from 'vitest';
import { INCIDENT_STATUSES } from '@city/shared/incidents';
import { REPORT_STATUSES, REPORT_STATUS_LABELS } from '@city/shared/open311';
import {
  REPORT_STATUS_FOR_INCIDENT,
  isClosedStatus,
  parseReportStatus,
  toFmsStatus,
  toOpen311Status,
} from '../../src/open311/statuses.ts';
import { FMS_TEST_STATUSES } from './spec-examples.ts';

describe('report statuses', () => {
  it.each([
    ['open', 'open', 'OPEN'],
    ['investigating', 'open', 'INVESTIGATING'],
    ['action_scheduled', 'open', 'ACTION_SCHEDULED'],
    ['in_progress', 'open', 'IN_PROGRESS'],
    ['fixed', 'closed', 'FIXED'],
    ['duplicate', 'closed', 'DUPLICATE'],
    ['not_councils_responsibility', 'closed', 'NOT_COUNCILS_RESPONSIBILITY'],
    ['no_further_action', 'closed', 'NO_FURTHER_ACTION'],
    ['internal_referral', 'closed', 'INTERNAL_REFERRAL'],
    ['closed', 'closed', 'CLOSED'],
  ] as const)('%s is %s to GeoReport v2 clients and %s to FixMyStreet', (status, open311, fms) => {
    expect([toOpen311Status(status), toFmsStatus(status), isClosedStatus(status)]).toEqual([open311, fms, open311 === 'closed']);
  });

  it('the table above covers every status, and each has a label', () => {
    expect(REPORT_STATUSES.filter((s) => REPORT_STATUS_LABELS[s] === undefined)).toEqual([]);
  });

  it("reads every status FixMyStreet's own tests send", () => {
    expect(FMS_TEST_STATUSES.map(parseReportStatus)).toEqual(FMS_TEST_STATUSES.map((s) => s.toLowerCase()));
  });

  it.each([
    ['in progress', 'in_progress'],
    ['Action Scheduled', 'action_scheduled'],
    [' FIXED ', 'fixed'],
    ['not-councils-responsibility', 'not_councils_responsibility'],
    ['reopened', undefined],
    ['', undefined],
  ])('parses %j as %s', (text, expected) => {
    expect(parseReportStatus(text)).toBe(expected);
  });

  it.each([
    ['open', 'open'],
    ['acknowledged', 'investigating'],
    ['in_progress', 'in_progress'],
    ['resolved', 'fixed'],
    ['dismissed', 'no_further_action'],
  ] as const)('an incident %s makes its report %s', (incident, report) => {
    expect(REPORT_STATUS_FOR_INCIDENT[incident]).toBe(report);
  });

  it('maps every incident status', () => {
    expect(Object.keys(REPORT_STATUS_FOR_INCIDENT).sort()).toEqual([...INCIDENT_STATUSES].sort());
  });
});
