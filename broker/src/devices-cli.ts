// The devices CLI: add, list, remove and rotate device credentials in DATA_DIR/devices.sqlite.
// Safe while the broker runs: the broker reads the registry on every CONNECT (SQLite WAL).
//   npm run devices -- add air-001 --kind air_quality --lat 41.88 --lon -87.63
import { parseArgs } from 'node:util';
import {
  DEVICE_ROLES,
  DeviceRegistry,
  EnvReader,
  isSensorKind,
  RegistryError,
  SENSOR_KINDS,
  type Device,
  type DeviceRole,
  type Position,
} from '@city/shared';

const USAGE = `Usage: npm run devices -- <command> [options]

Commands:
  add <id> --kind <kind> [--lat <lat> --lon <lon>] [--secret <secret>]
           [--topics <prefix,...>] [--role device|gateway|service]
                     register a device; prints its secret once (generated unless given)
  list               table of devices: id, kind, role, district, online, last seen
  remove <id>        delete a device; its next CONNECT is refused
  rotate <id> [--secret <secret>]
                     set a new secret (generated unless given); prints it once

Kinds: ${SENSOR_KINDS.join(', ')}
Roles: device (publishes under its own id), gateway (only under --topics), service (anywhere)
Environment: DATA_DIR (default ./data) holds devices.sqlite
`;

class UsageError extends Error {}

function parsePosition(lat: string | undefined, lon: string | undefined): Position | undefined {
  if (lat === undefined && lon === undefined) return undefined;
  if (lat === undefined || lon === undefined) throw new UsageError('--lat and --lon: expected both or neither');
  const position = { lat: Number(lat), lon: Number(lon) };
  if (!Number.isFinite(position.lat) || Math.abs(position.lat) > 90) throw new UsageError(`--lat: expected -90..90 (got ${lat})`);
  if (!Number.isFinite(position.lon) || Math.abs(position.lon) > 180) throw new UsageError(`--lon: expected -180..180 (got ${lon})`);
  return position;
}

function parseTopics(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const prefixes = raw.split(',').map((p) => p.trim());
  for (const p of prefixes) {
    if (p === '' || /[+#]/.test(p)) throw new UsageError(`--topics: expected topic prefixes without wildcards, comma separated (got ${JSON.stringify(raw)})`);
  }
  return prefixes;
}

function table(devices: Device[]): string {
  const rows = [
    ['ID', 'KIND', 'ROLE', 'DISTRICT', 'ONLINE', 'LAST SEEN'],
    ...devices.map((d) => [
      d.id,
      d.kind,
      d.role,
      d.district ?? '-',
      d.online ? 'yes' : 'no',
      d.lastSeenAt ? new Date(d.lastSeenAt).toISOString() : '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function oneId(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command}: expected one device id (got ${positionals.length})`);
  return positionals[0]!;
}

/** `--lon -87.63` reads as an option to parseArgs; join a negative number to its option. */
function joinNegativeNumbers(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: joinNegativeNumbers(argv),
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      secret: { type: 'string' },
      topics: { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || command === 'help') return out(USAGE);
  if (command === undefined) throw new UsageError('expected a command');
  if (!['add', 'list', 'remove', 'rotate'].includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);

  const allowed: Record<string, string[]> = { add: ['kind', 'lat', 'lon', 'secret', 'topics', 'role'], rotate: ['secret'], list: [], remove: [] };
  for (const key of Object.keys(values)) {
    if (key !== 'help' && !allowed[command]!.includes(key)) throw new UsageError(`${command}: --${key} does not apply`);
  }

  let input: Parameters<DeviceRegistry['add']>[0] | undefined;
  if (command === 'add') {
    const id = oneId(args, 'add');
    if (values.kind === undefined) throw new UsageError(`add: --kind is required, one of ${SENSOR_KINDS.join(', ')}`);
    if (!isSensorKind(values.kind)) throw new UsageError(`--kind: expected one of ${SENSOR_KINDS.join(', ')} (got ${values.kind})`);
    const role = values.role ?? 'device';
    if (!(DEVICE_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role: expected one of ${DEVICE_ROLES.join(', ')} (got ${role})`);
    input = {
      id,
      kind: values.kind,
      role: role as DeviceRole,
      position: parsePosition(values.lat, values.lon),
      topicPrefixes: parseTopics(values.topics),
      secret: values.secret,
    };
  } else if (command === 'list') {
    if (args.length > 0) throw new UsageError('list: expected no arguments');
  } else {
    oneId(args, command);
  }

  const env = new EnvReader();
  const dataDir = env.str('DATA_DIR', './data');
  env.assertValid();
  const registry = DeviceRegistry.open(dataDir);
  try {
    switch (command) {
      case 'add': {
        const { device, secret } = await registry.add(input!);
        out(`added ${device.id} (${device.kind}, ${device.role}${device.district ? `, district ${device.district}` : ''})`);
        if (device.topicPrefixes.length) out(`topic prefixes: ${device.topicPrefixes.join(', ')}`);
        out(values.secret === undefined ? `secret: ${secret}` : 'secret: set to the one given');
        if (values.secret === undefined) out('(shown once: store it in the device now)');
        break;
      }
      case 'list': {
        const devices = registry.list();
        out(devices.length ? table(devices) : `no devices in ${dataDir}`);
        break;
      }
      case 'remove': {
        const id = args[0]!;
        if (!registry.remove(id)) throw new RegistryError(`device ${id} not found`);
        out(`removed ${id}`);
        break;
      }
      case 'rotate': {
        const id = args[0]!;
        const secret = await registry.rotate(id, values.secret);
        out(values.secret === undefined ? `secret: ${secret}` : 'secret: set to the one given');
        if (values.secret === undefined) out('(shown once: store it in the device now)');
        break;
      }
    }
  } finally {
    registry.close();
  }
}

run(process.argv.slice(2), (line) => console.log(line)).catch((err: unknown) => {
  const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (usage) console.error('run with --help for usage');
  process.exitCode = usage ? 2 : 1;
});
