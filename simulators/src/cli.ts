// npm run simulate -- [options]: a simulated fleet against a broker, until Ctrl-C or --duration.
// Progress on stderr (a live line on a terminal), one summary line at the end; exit 2 on bad options.
import { createLogger, DeviceRegistry } from '@city/shared';
import { createFleet, type Fleet, type FleetStats } from './app.ts';
import { helpText, parseSimulatorArgs } from './config.ts';
import { alarmedDevices } from './adapters/hotspots.ts';
import { createReportSubmitter, type ReportSubmitter, type ReportSubmitterStats } from './report-submitter.ts';

/** "reports 12 (near incidents 4)  throttled 1  rejected 2 (403 2)  failed 0" */
function reportsLine(r: ReportSubmitterStats): string {
  const byStatus = Object.entries(r.rejectedByStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  return [`reports ${r.created} (near incidents ${r.nearHotspot})`, `throttled ${r.throttled}`, `rejected ${r.rejected}${byStatus ? ` (${byStatus})` : ''}`, `report errors ${r.failed}`].join('  ');
}

function progressLine(fleet: FleetStats | undefined, reports: ReportSubmitterStats | undefined): string {
  return [fleet ? line(fleet) : '', reports ? reportsLine(reports) : ''].filter(Boolean).join('  |  ');
}

function line(s: FleetStats): string {
  const rate = s.running ? s.recentRatePerS : s.ratePerS;
  const parts = [
    `sent ${s.sent}`,
    `${Math.round(rate)}/s`,
    `failed ${s.failed}`,
    `malformed ${s.malformed}`,
    `in flight ${s.inFlight}`,
    `${s.elapsedS.toFixed(1)} s`,
  ];
  if (s.silentDevices > 0) parts.push(`silent ${s.silentDevices}`);
  if (s.lagTurns > 0) parts.push(`lagged ${s.lagTurns}`);
  return parts.join('  ');
}

async function main(): Promise<number> {
  const parsed = parseSimulatorArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (parsed.kind === 'invalid') {
    process.stderr.write(`simulate: invalid options:\n  - ${parsed.problems.join('\n  - ')}\n\n${helpText()}\n`);
    return 2;
  }
  const c = parsed.config;
  const logger = createLogger('simulators');
  const registry = c.dataDir !== undefined ? DeviceRegistry.open(c.dataDir) : undefined;
  const live = process.stderr.isTTY === true;
  let submitter: ReportSubmitter | undefined;
  const devices = c.sensors + c.cameras + c.ttsDevices;
  const fleet: Fleet | undefined =
    devices === 0
      ? undefined
      : createFleet({
          mqttUrl: c.mqttUrl,
          ...(registry ? { registry } : {}),
          plan: { seed: c.seed, sensors: c.sensors, cameras: c.cameras, ttsDevices: c.ttsDevices, senmlRatio: c.senmlRatio, frigateRatio: c.frigateRatio },
          ...(c.ratePerS !== undefined ? { ratePerS: c.ratePerS } : {}),
          durationS: c.durationS,
          ...(c.maxMessages > 0 ? { maxMessages: c.maxMessages } : {}),
          qos: c.qos,
          mode: c.mode,
          connections: c.connections,
          maxInFlight: c.maxInFlight,
          faults: { badRatio: c.badRatio, silentDevices: c.silentDevices, silentAfterS: c.silentAfterS, ...(c.burst ? { burst: c.burst } : {}) },
          logger,
          onProgress: (s) => {
            if (live && s.running) process.stderr.write(`\r\x1b[K${progressLine(s, submitter?.stats())}`);
          },
        });
  if (c.reports) {
    submitter = createReportSubmitter({
      open311Url: c.reports.open311Url,
      apiKey: c.reports.apiKey,
      reportsPerMin: c.reports.perMin,
      nearHotspotRatio: c.reports.nearIncidentsRatio,
      // the incident list needs an operator's session: devices in alarm on the public live map stand in
      hotspots: alarmedDevices(c.reports.open311Url),
      seed: c.seed,
      durationS: c.durationS,
      logger: logger.child('reports'),
    });
  }
  // reports only: the fleet's progress callback is not there to print the line
  const reportsTimer =
    !fleet && live
      ? setInterval(() => {
          if (submitter?.stats().running) process.stderr.write(`\r\x1b[K${progressLine(undefined, submitter.stats())}`);
        }, 1000)
      : undefined;

  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second Ctrl-C: do not wait for acks
    void fleet?.stop();
    void submitter?.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await fleet?.start();
  } catch (err) {
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    registry?.close();
    return 1;
  }
  submitter?.start();
  // the fleet ending (duration, --messages) ends the reports too
  const final = await fleet?.done;
  if (fleet) await submitter?.stop();
  const reports = await submitter?.done;
  if (reportsTimer) clearInterval(reportsTimer);
  registry?.close();
  if (live) process.stderr.write('\r\x1b[K');
  const types = Object.entries(final?.byType ?? {})
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  process.stderr.write(`simulate: done  ${final ? line(final) : ''}${types ? `  (${types})` : ''}${reports ? `${final ? '  |  ' : ''}${reportsLine(reports)}` : ''}\n`);
  return (final?.failed ?? 0) > 0 || (reports && reports.rejected + reports.failed > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`simulate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
