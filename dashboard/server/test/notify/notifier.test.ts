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

  it('two dashboards dispatching from one operations store send every row once', async () => {
    const gateway = await startSmsGateway();
    const dir = tmpDir('notifier-');
    const seed = openOpsStore(dir);
    const { report } = await seed.reports.create(newReport());
    const N = 40;
    for (let i = 0; i < N; i++) {
      await seed.notifications.enqueue({ reportId: report.id, kind: 'update', audience: 'citizen', channel: 'sms', recipient: '+13125550100', body: `message ${i}`, dedupeKey: `k${i}` });
    }
    await seed.close();
    const env = new EnvReader({ NOTIFY_SMS_URL: gateway.url, NOTIFY_PUBLIC_URL: 'https://city.example', NOTIFY_TICK_MS: '20' });
    const config = readNotifyConfig(env);
    env.assertValid();
    // each dashboard process has its own connection to the shared file
    const stores = [0, 1].map(() => track(openOpsStore(dir), (s) => s.close()));
    const notifiers = stores.map((store) => {
      const { logger } = recordingLogger();
      const reports = new ReportService({ store, incidents: new IncidentService({ store, logger }), catalogue: defaultCatalogue(), logger });
      return track(new Notifier({ config, timeZone: 'America/Chicago', catalogue: defaultCatalogue(), store, reports, logger }), (n) => n.stop());
    });
    await Promise.all(notifiers.map((n) => n.start()));
    await waitFor('every row sent', async () => (await stores[0]!.notifications.forReport(report.id)).every((r) => r.status === 'sent'));
    await new Promise((r) => setTimeout(r, 200));
    const texts = gateway.requests.map((r) => (r.json as { text: string }).text);
    expect(texts.sort()).toEqual(Array.from({ length: N }, (_, i) => `message ${i}`).sort());
    // and between them the two counted N sends: none twice
    const sentBy = await Promise.all(notifiers.map(async (n) => (await n.metricsText()).match(/city_notifications_sent_total\{channel="sms"\} (\d+)/)?.[1]));
    expect(sentBy.map(Number).reduce((a, b) => a + b, 0)).toBe(N);
  });

  it('queues at start what a change committed just before a crash never queued, and only that', async () => {
    const gateway = await startSmsGateway();
    const dir = tmpDir('notifier-');
    const store = track(openOpsStore(dir), (s) => s.close());
    const { logger, lines } = recordingLogger();
    const reports = new ReportService({ store, incidents: new IncidentService({ store, logger }), catalogue: defaultCatalogue(), logger });
    const { report } = await store.reports.create(newReport());
    // committed while no notifier listened: the process died before its listener wrote the rows
    await reports.setStatus(report.id, 'in_progress', 'Crew on the way', 'bob');
    const expectedAt = Date.now() + 3 * 86_400_000;
    await reports.setExpectedAt(report.id, expectedAt, 'bob');
    const env = new EnvReader({ NOTIFY_SMS_URL: gateway.url, NOTIFY_PUBLIC_URL: 'https://city.example', NOTIFY_TICK_MS: '20', NOTIFY_REMINDER_BEFORE_MS: '0' });
    const config = readNotifyConfig(env);
    env.assertValid();
    const start = async () => {
      const notifier = new Notifier({ config, timeZone: 'America/Chicago', catalogue: defaultCatalogue(), store, reports, logger });
      await notifier.start();
      return notifier;
    };
    const first = await start();
    await waitFor('two messages sent', () => gateway.requests.length >= 2);
    await first.stop();
    expect(gateway.requests.map((r) => (r.json as { text: string }).text)).toEqual([
      expect.stringMatching(/In progress\. Crew on the way https:\/\/city\.example\/report\/status\//),
      expect.stringMatching(/now expected by/),
    ]);
    expect(lines.filter((l) => /never queued/.test(l.msg))).toHaveLength(1);
    // the next start finds them in the outbox: nothing again
    const second = track(await start(), (n) => n.stop());
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    expect(gateway.requests).toHaveLength(2);
    expect(lines.filter((l) => /never queued/.test(l.msg))).toHaveLength(1);
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
