// The simulator CLI's configuration: command-line options over environment variables over
// defaults, every problem collected in one list. The only reader of process.env in simulators/.
import { parseArgs } from 'node:util';
import { EnvReader } from '@city/shared';
import { parseBurst, type Burst } from './core/faults.ts';
import { CONNECTION_MODES, type ConnectionMode } from './adapters/provision.ts';

export interface SimulatorConfig {
  mqttUrl: string;
  /** where the device registry lives (devices.sqlite); undefined with --anonymous */
  dataDir?: string;
  sensors: number;
  cameras: number;
  ttsDevices: number;
  /** messages/s over the fleet; Infinity for --rate max; undefined = each device every 10 s */
  ratePerS?: number;
  /** 0 = until Ctrl-C */
  durationS: number;
  /** 0 = no limit */
  maxMessages: number;
  seed: number;
  qos: 0 | 1;
  mode: ConnectionMode;
  connections: number;
  maxInFlight: number;
  senmlRatio: number;
  frigateRatio: number;
  badRatio: number;
  silentDevices: number;
  silentAfterS: number;
  burst?: Burst;
  /** simulated citizens' reports through Open311 (absent when --reports-per-min is 0) */
  reports?: ReportsOptions;
}

export interface ReportsOptions {
  /** reports per minute on average */
  perMin: number;
  /** the Open311 endpoint, e.g. http://localhost:8080/open311/v2 */
  open311Url: string;
  /** never logged or printed */
  apiKey: string;
  /** share of reports placed within ~50 m of a device in alarm on the dashboard's live map, 0..1 */
  nearIncidentsRatio: number;
}

interface OptionDoc {
  name: string;
  arg?: string;
  env?: string;
  def: string;
  help: string;
}

/** One table: parsing, defaults and --help come from it. */
const OPTIONS: readonly OptionDoc[] = [
  { name: 'url', arg: '<url>', env: 'MQTT_URL', def: 'mqtt://localhost:1883', help: 'broker URL (mqtt://, mqtts://, ws://, wss://)' },
  { name: 'data-dir', arg: '<dir>', env: 'DATA_DIR', def: './data', help: 'device registry to provision the fleet into' },
  { name: 'anonymous', def: 'off', help: 'provision nothing, connect without credentials' },
  { name: 'sensors', arg: '<n>', def: '200', help: 'sensors with their own login (native JSON or SenML)' },
  { name: 'cameras', arg: '<n>', def: '10', help: 'cameras (native events, or via a Frigate NVR)' },
  { name: 'tts', arg: '<n>', def: '10', help: 'LoRaWAN sensors via The Things Stack v3' },
  { name: 'rate', arg: '<n|max>', def: 'devices/10', help: 'messages per second over the fleet; max = as fast as the broker takes' },
  { name: 'duration', arg: '<s>', def: '0', help: 'seconds to run; 0 = until Ctrl-C' },
  { name: 'messages', arg: '<n>', def: '0', help: 'stop after n messages; 0 = no limit' },
  { name: 'seed', arg: '<n>', def: '1', help: 'same seed, same fleet and readings' },
  { name: 'qos', arg: '<0|1>', def: '1', help: 'MQTT QoS of every publish' },
  { name: 'mode', arg: '<mode>', def: 'per-device', help: 'per-device (one login each) or gateway (few shared connections)' },
  { name: 'connections', arg: '<n>', def: '4', help: 'gateway mode: connections shared by the fleet' },
  { name: 'max-in-flight', arg: '<n>', def: '512', help: 'publishes awaiting write/PUBACK at once (back-pressure)' },
  { name: 'senml-ratio', arg: '<0..1>', def: '0.2', help: 'share of sensors speaking SenML' },
  { name: 'frigate-ratio', arg: '<0..1>', def: '0.5', help: 'share of cameras behind the Frigate NVR' },
  { name: 'bad-ratio', arg: '<0..1>', def: '0', help: 'share of sensor messages malformed on purpose' },
  { name: 'silent', arg: '<n>', def: '0', help: 'devices that stop publishing after --silent-after' },
  { name: 'silent-after', arg: '<s>', def: '30', help: 'seconds before the silent devices stop' },
  { name: 'burst', arg: '<m>x<s>[@<t>]', def: '', help: 'multiply the rate by m for s seconds, starting t s in (t defaults to 10)' },
  { name: 'reports-per-min', arg: '<n>', env: 'SIM_REPORTS_PER_MIN', def: '0', help: 'citizen reports per minute through Open311; 0 = none' },
  { name: 'open311-url', arg: '<url>', env: 'OPEN311_URL', def: 'http://localhost:8080/open311/v2', help: 'Open311 endpoint the reports are posted to' },
  { name: 'open311-api-key', arg: '<key>', env: 'OPEN311_API_KEY', def: '', help: "api_key issued by the city (one of OPEN311_API_KEYS); prefer the env (a flag shows in ps)" },
  { name: 'reports-near-incidents', arg: '<0..1>', env: 'SIM_REPORTS_NEAR_INCIDENTS', def: '0.3', help: 'share of reports within ~50 m of a device in alarm (the live map, GET /api/devices)' },
  { name: 'help', def: '', help: 'show this help' },
];

export function helpText(): string {
  const lines = OPTIONS.map((o) => {
    const flag = `--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
    const extra = [o.def && o.def !== 'off' && o.def !== '' ? `default ${o.def}` : '', o.env ? `env ${o.env}` : ''].filter(Boolean).join(', ');
    return `  ${flag.padEnd(28)} ${o.help}${extra ? ` (${extra})` : ''}`;
  });
  return [
    'Simulated city fleet: sensors, cameras and LoRaWAN devices publishing over MQTT.',
    '',
    'Usage: npm run simulate -- [options]',
    '',
    ...lines,
    '',
    'Examples:',
    '  npm run simulate -- --sensors 40 --cameras 4 --tts 4',
    '  npm run simulate -- --mode gateway --sensors 5000 --rate max --qos 0 --duration 30',
    '  npm run simulate -- --bad-ratio 0.05 --silent 3 --burst 5x30',
    '  OPEN311_API_KEY=... npm run simulate -- --sensors 40 --reports-per-min 6',
  ].join('\n');
}

export type ParsedArgs = { kind: 'help' } | { kind: 'config'; config: SimulatorConfig } | { kind: 'invalid'; problems: string[] };

const BOOLEAN_OPTIONS = new Set(['anonymous', 'help']);

export function parseSimulatorArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env): ParsedArgs {
  const problems: string[] = [];
  const spec = Object.fromEntries(OPTIONS.map((o) => [o.name, { type: BOOLEAN_OPTIONS.has(o.name) ? ('boolean' as const) : ('string' as const) }]));
  const { values, positionals } = parseArgs({ args: [...argv], options: spec, strict: false, allowPositionals: true });
  const known = new Set(OPTIONS.map((o) => o.name));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) problems.push(`--${key}: unknown option (see --help)`);
  }
  for (const p of positionals) problems.push(`${JSON.stringify(p)}: unexpected argument (options start with --)`);
  if (values.help === true) return { kind: 'help' };

  const str = (name: string): string | undefined => {
    const v = values[name];
    if (v === true) {
      problems.push(`--${name}: expected a value`);
      return undefined;
    }
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`--${name}: expected an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return Number(raw);
  };
  const num = (name: string, fallback: number, min: number, max: number, what: string): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || n < min || n > max) {
      problems.push(`--${name}: expected ${what} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return n;
  };

  const envReader = new EnvReader(env);
  const url = str('url') ?? envReader.optionalStr('MQTT_URL') ?? 'mqtt://localhost:1883';
  try {
    const parsed = new URL(url);
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(parsed.protocol)) throw new Error('protocol');
  } catch {
    problems.push(`--url: expected a URL starting with mqtt://, mqtts://, ws:// or wss:// (got ${JSON.stringify(url)})`);
  }
  const anonymous = values.anonymous === true;
  const dataDir = anonymous ? undefined : (str('data-dir') ?? envReader.optionalStr('DATA_DIR') ?? './data');

  let ratePerS: number | undefined;
  const rateRaw = str('rate');
  if (rateRaw !== undefined) {
    if (rateRaw === 'max') ratePerS = Infinity;
    else {
      const n = Number(rateRaw);
      if (rateRaw === '' || !Number.isFinite(n) || n <= 0) problems.push(`--rate: expected messages per second above 0, or max (got ${JSON.stringify(rateRaw)})`);
      else ratePerS = n;
    }
  }

  const qosRaw = str('qos') ?? '1';
  if (qosRaw !== '0' && qosRaw !== '1') problems.push(`--qos: expected 0 or 1 (got ${JSON.stringify(qosRaw)})`);
  const modeRaw = str('mode') ?? 'per-device';
  if (!(CONNECTION_MODES as readonly string[]).includes(modeRaw)) problems.push(`--mode: expected one of ${CONNECTION_MODES.join(', ')} (got ${JSON.stringify(modeRaw)})`);

  let burst: Burst | undefined;
  const burstRaw = str('burst');
  if (burstRaw !== undefined) {
    const b = parseBurst(burstRaw);
    if (typeof b === 'string') problems.push(`--burst: ${b}`);
    else burst = b;
  }

  const reports = readReportsOptions(str, env, problems);

  const config: SimulatorConfig = {
    mqttUrl: url,
    sensors: int('sensors', 200, 0, 1_000_000),
    cameras: int('cameras', 10, 0, 100_000),
    ttsDevices: int('tts', 10, 0, 1_000_000),
    durationS: num('duration', 0, 0, 365 * 86_400, 'seconds >= 0'),
    maxMessages: int('messages', 0, 0),
    seed: int('seed', 1, 0, 2 ** 32 - 1),
    qos: qosRaw === '0' ? 0 : 1,
    mode: modeRaw as ConnectionMode,
    connections: int('connections', 4, 1, 1000),
    maxInFlight: int('max-in-flight', 512, 1, 65_535),
    senmlRatio: num('senml-ratio', 0.2, 0, 1, 'a share in 0..1'),
    frigateRatio: num('frigate-ratio', 0.5, 0, 1, 'a share in 0..1'),
    badRatio: num('bad-ratio', 0, 0, 1, 'a share in 0..1'),
    silentDevices: int('silent', 0, 0),
    silentAfterS: num('silent-after', 30, 0, 365 * 86_400, 'seconds >= 0'),
  };
  if (dataDir !== undefined) config.dataDir = dataDir;
  if (ratePerS !== undefined) config.ratePerS = ratePerS;
  if (burst) config.burst = burst;
  if (reports) config.reports = reports;
  const devices = config.sensors + config.cameras + config.ttsDevices;
  if (devices === 0 && !reports) problems.push('--sensors, --cameras, --tts: expected at least one device in total, or --reports-per-min above 0 (got 0)');
  if (config.silentDevices > devices) problems.push(`--silent: expected at most the ${devices} devices of the fleet (got ${config.silentDevices})`);
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'config', config };
}

/** The citizen-report options: each flag over its environment variable over the default. */
function readReportsOptions(str: (name: string) => string | undefined, env: Record<string, string | undefined>, problems: string[]): ReportsOptions | undefined {
  const raw = (name: string, envName: string) => str(name) ?? (env[envName]?.trim() || undefined);
  const number = (name: string, envName: string, fallback: number, ok: (n: number) => boolean, what: string): number => {
    const text = raw(name, envName);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || !ok(n)) {
      problems.push(`--${name} / ${envName}: expected ${what} (got ${JSON.stringify(text)})`);
      return fallback;
    }
    return n;
  };
  const perMin = number('reports-per-min', 'SIM_REPORTS_PER_MIN', 0, (n) => n >= 0 && n <= 60_000, 'reports per minute in 0..60000');
  const nearIncidentsRatio = number('reports-near-incidents', 'SIM_REPORTS_NEAR_INCIDENTS', 0.3, (n) => n >= 0 && n <= 1, 'a share in 0..1');
  const open311Url = raw('open311-url', 'OPEN311_URL') ?? 'http://localhost:8080/open311/v2';
  if (perMin === 0) return undefined;
  try {
    if (!['http:', 'https:'].includes(new URL(open311Url).protocol)) throw new Error('protocol');
  } catch {
    problems.push(`--open311-url / OPEN311_URL: expected an http:// or https:// URL (got ${JSON.stringify(open311Url)})`);
  }
  const apiKey = raw('open311-api-key', 'OPEN311_API_KEY');
  // the key itself is never echoed
  if (apiKey === undefined) problems.push('--open311-api-key / OPEN311_API_KEY: required when --reports-per-min is above 0 (a key the city lists in OPEN311_API_KEYS)');
  return { perMin, open311Url, apiKey: apiKey ?? '', nearIncidentsRatio };
}
