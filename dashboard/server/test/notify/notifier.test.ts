// The Notifier without the HTTP server: a real store, ReportService and SMS gateway. Rows left pending
// by a previous run go out after start; backoff doubles.
import { describe, expect, it } from 'vitest';
import { EnvReader } from '@city/shared';
import { track } from '../../../../test/support/teardown.ts';
import { tmpDir } from '../../../../test/support/tmp.ts';
import { waitFor } from '../../../../test/support/wait.ts';
import { readNotifyConfig } from '../../src/notify/config.ts';
import { Notifier, retryDelayMs } from '../../src/notify/notifier.ts';
import { defaultCatalogue } from '../../src/open311/index.ts';
import { IncidentService, ReportService, openOpsStore } from '../../src/ops/index.ts';
import { newReport } from '../ops/contract.ts';
import { recordingLogger } from '../ops/helpers.ts';
import { startSmsGateway } from './servers.ts';

describe('Notifier', () => {
  it('sends the rows a previous run left pending once started, and only once', async () => {
    const gateway = await startSmsGateway();
    const dir = tmpDir('notifier-');
    const before = openOpsStore(dir);
    const { report } = await before.reports.create(newReport());
    await before.notifications.enqueue({ reportId: report.id, kind: 'update', audience: 'citizen', channel: 'sms', recipient: '+13125550100', body: 'left over', dedupeKey: 'k' });
    await before.close();

    const store = track(openOpsStore(dir), (s) => s.close());
    const { logger } = recordingLogger();
    const reports = new ReportService({ store, incidents: new IncidentService({ store, logger }), catalogue: defaultCatalogue(), logger });
    const env = new EnvReader({ NOTIFY_SMS_URL: gateway.url, NOTIFY_PUBLIC_URL: 'https://city.example', NOTIFY_TICK_MS: '20' });
    const config = readNotifyConfig(env);
    env.assertValid();
    const notifier = track(new Notifier({ config, timeZone: 'America/Chicago', catalogue: defaultCatalogue(), store, reports, logger }), (n) => n.stop());
    await notifier.start();
    await waitFor('the row sent', async () => (await store.notifications.forReport(report.id))[0]?.status === 'sent');
    await new Promise((r) => setTimeout(r, 100));
    expect(gateway.requests.map((r) => r.json)).toEqual([{ to: '+13125550100', text: 'left over' }]);
  });

  it('logs once that a channel is off and subscribes to nothing without channels', async () => {
    const store = track(openOpsStore(tmpDir('notifier-')), (s) => s.close());
    const { logger, lines } = recordingLogger();
    const reports = new ReportService({ store, incidents: new IncidentService({ store, logger }), catalogue: defaultCatalogue(), logger });
    const notifier = track(new Notifier({ config: readNotifyConfig(new EnvReader({})), timeZone: 'UTC', catalogue: defaultCatalogue(), store, reports, logger }), (n) => n.stop());
    await notifier.start();
    expect(notifier.enabled).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(['email notifications off: NOTIFY_SMTP_URL not set', 'SMS notifications off: NOTIFY_SMS_URL not set']);
  });

  it('backoff doubles from the base', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(30_000, n))).toEqual([30_000, 60_000, 120_000, 240_000]);
  });
});
