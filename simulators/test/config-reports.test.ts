import { describe, expect, it } from 'vitest';
import { helpText, parseSimulatorArgs } from '../src/config.ts';

const KEY = 'sim-key-0123456789abcdef';

describe('citizen report options', () => {
  it('are off by default', () => {
    const parsed = parseSimulatorArgs([], {});
    expect(parsed.kind === 'config' && parsed.config.reports).toBeUndefined();
  });

  it('come from the environment, flags over it', () => {
    const fromEnv = parseSimulatorArgs([], { SIM_REPORTS_PER_MIN: '6', OPEN311_URL: 'http://city:8080/open311/v2', OPEN311_API_KEY: KEY, SIM_REPORTS_NEAR_INCIDENTS: '0.5' });
    expect(fromEnv).toMatchObject({ kind: 'config', config: { reports: { perMin: 6, open311Url: 'http://city:8080/open311/v2', apiKey: KEY, nearIncidentsRatio: 0.5 } } });
    const flags = parseSimulatorArgs(['--reports-per-min', '0.5', '--open311-url', 'https://x/open311/v2', '--reports-near-incidents', '0'], { SIM_REPORTS_PER_MIN: '6', OPEN311_API_KEY: KEY });
    expect(flags).toMatchObject({ kind: 'config', config: { reports: { perMin: 0.5, open311Url: 'https://x/open311/v2', nearIncidentsRatio: 0 } } });
  });

  it('reports alone are a valid run (no devices)', () => {
    const parsed = parseSimulatorArgs(['--sensors', '0', '--cameras', '0', '--tts', '0', '--reports-per-min', '2'], { OPEN311_API_KEY: KEY });
    expect(parsed.kind).toBe('config');
  });

  it('lists every problem, never echoing the key', () => {
    const parsed = parseSimulatorArgs(['--reports-per-min', '-1', '--reports-near-incidents', '2', '--open311-url', 'ftp://x'], {});
    expect(parsed.kind).toBe('invalid');
    const bad = parseSimulatorArgs(['--reports-per-min', '3', '--open311-url', 'ftp://x', '--sensors', '0', '--cameras', '0', '--tts', '0'], {});
    expect(bad.kind === 'invalid' && bad.problems).toEqual([
      '--open311-url / OPEN311_URL: expected an http:// or https:// URL (got "ftp://x")',
      '--open311-api-key / OPEN311_API_KEY: required when --reports-per-min is above 0 (a key the city lists in OPEN311_API_KEYS)',
    ]);
    expect(parsed.kind === 'invalid' && parsed.problems).toEqual(
      expect.arrayContaining([
        '--reports-per-min / SIM_REPORTS_PER_MIN: expected reports per minute in 0..60000 (got "-1")',
        '--reports-near-incidents / SIM_REPORTS_NEAR_INCIDENTS: expected a share in 0..1 (got "2")',
      ]),
    );
  });

  it('are in --help with their variables', () => {
    expect(helpText()).toMatch(/--reports-per-min <n> .*env SIM_REPORTS_PER_MIN/);
    expect(helpText()).toMatch(/--open311-api-key <key> .*env OPEN311_API_KEY/);
  });
});
