// The Node-RED side of bench/ingest.ts: the same job (MQTT -> InfluxDB) done the way a Node-RED user
// would do it, so ingest can be compared with it in the same run on the same machine.
//   installNodeRed()     npm-installs node-red and node-red-contrib-influxdb once into
//                        os.tmpdir()/city-ops-bench-node-red/<versions> (a second run reuses it)
//   writeNodeRedFlow()   a user dir with settings.js, flows.json and flows_cred.json:
//                        mqtt in (QoS 1, persistent session, JSON) -> function (reading or SenML pack ->
//                        InfluxDB points) -> join (up to `batchMessages` messages or `batchWaitMs`, as ingest
//                        batches) -> function (flatten) -> influxdb batch (1.x, precision ms)
//   nodeRedCommand()     how to start it: `node red.js -u <userDir> -s settings.js flows.json`
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progress } from './support.ts';

/** 4.x: Node-RED 5 needs Node >= 22.9 and this project runs on Node 20. */
export const NODE_RED_VERSION = '4.1.8';
export const INFLUXDB_NODE_VERSION = '0.7.0';

/** The install folder (holding node_modules/node-red), installing it first if this is the first run. */
export async function installNodeRed(): Promise<string> {
  const root = join(tmpdir(), 'city-ops-bench-node-red');
  const dir = join(root, `node-red-${NODE_RED_VERSION}_contrib-influxdb-${INFLUXDB_NODE_VERSION}`);
  const done = join(dir, 'installed.json');
  if (existsSync(done)) {
    progress(`node-red ${NODE_RED_VERSION}: cached in ${dir}`, true);
    return dir;
  }
  // install beside, rename when complete: an interrupted install is never taken for a cached one
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(join(partial, 'package.json'), JSON.stringify({ name: 'city-ops-bench-node-red', private: true }));
  const packages = [`node-red@${NODE_RED_VERSION}`, `node-red-contrib-influxdb@${INFLUXDB_NODE_VERSION}`];
  progress(`installing ${packages.join(' ')} into ${dir} (once; about 30 s)`, true);
  const startedAt = Date.now();
  await new Promise<void>((resolve, reject) => {
    const npm = spawn('npm', ['install', '--prefix', partial, '--no-audit', '--no-fund', '--loglevel', 'error', ...packages], {
      cwd: partial,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    npm.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setInterval(() => progress(`installing node-red: ${((Date.now() - startedAt) / 1000).toFixed(0)} s`), 1000);
    npm.once('error', (err) => (clearInterval(timer), reject(err)));
    npm.once('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm install ${packages.join(' ')} failed (exit ${code}):\n${stderr}`));
    });
  });
  writeFileSync(join(partial, 'installed.json'), JSON.stringify({ packages, installedAt: new Date().toISOString() }));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  progress(`node-red installed in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`, true);
  return dir;
}

export interface NodeRedFlowOptions {
  userDir: string;
  uiPort: number;
  mqtt: { host: string; port: number; username: string; password: string; clientId: string; topic: string };
  influx: { host: string; port: number; database: string };
  /** join node: send a batch after this many MQTT messages ... */
  batchMessages: number;
  /** ... or this long after the first message of a batch */
  batchWaitMs: number;
}

/**
 * Function node body: one MQTT message -> InfluxDB points (msg.payload = [{measurement, tags, fields,
 * timestamp}]). A reading {observedAt, metrics} is one point; a SenML pack (RFC 8428) is resolved record by
 * record (bn/bt/bu carry over, name = bn + n, time = bt + t in s) and grouped into one point per device and
 * time, field = metric_unit ("pm25" in "ug/m3" -> pm25_ugm3), as ingest stores it.
 */
const TO_POINTS = String.raw`
const topicDevice = msg.topic.split('/')[2];
const body = msg.payload;
const points = [];
if (Array.isArray(body)) {
  let bn = '', bt = 0, bu = '';
  const byKey = new Map();
  for (const r of body) {
    if (r.bn !== undefined) bn = r.bn;
    if (r.bt !== undefined) bt = r.bt;
    if (r.bu !== undefined) bu = r.bu;
    if (typeof r.v !== 'number') continue;
    const name = bn + (r.n || '');
    const sep = name.lastIndexOf(':');
    const device = sep >= 0 ? name.slice(0, sep) : topicDevice;
    const metric = sep >= 0 ? name.slice(sep + 1) : name;
    const unit = (r.u || bu || '').replace(/[^A-Za-z0-9]/g, '');
    const ms = Math.round((bt + (r.t || 0)) * 1000);
    const key = device + ' ' + ms;
    let point = byKey.get(key);
    if (!point) {
      point = { measurement: 'air_quality', tags: { device_id: device }, fields: {}, timestamp: ms };
      byKey.set(key, point);
      points.push(point);
    }
    point.fields[unit ? metric + '_' + unit : metric] = r.v;
  }
} else if (body && typeof body.observedAt === 'number' && body.metrics) {
  points.push({ measurement: 'air_quality', tags: { device_id: topicDevice }, fields: body.metrics, timestamp: body.observedAt });
}
if (points.length === 0) return null;
msg.payload = points;
return msg;
`;

/** Writes settings.js, flows.json and flows_cred.json (credentials unencrypted: credentialSecret false). */
export function writeNodeRedFlow(o: NodeRedFlowOptions) {
  mkdirSync(o.userDir, { recursive: true });
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: o.uiPort,
    httpAdminRoot: false, // no editor, no admin API: the flow file is the whole deployment
    httpNodeRoot: false,
    userDir: o.userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    mqttReconnectTime: 1000,
    functionExternalModules: false,
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  writeFileSync(join(o.userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  // ids unlike any property value; nodes on the tab need x/y, or the runtime takes them for config nodes
  const z = 'f1000000000001';
  const [brokerId, influxId, inId, toPointsId, batchId, flattenId, writeId] = [
    'c1000000000001', 'c1000000000002', 'n1000000000001', 'n1000000000002', 'n1000000000003', 'n1000000000004', 'n1000000000005',
  ];
  const at = (column: number) => ({ x: 150 + column * 200, y: 100 });
  const flows = [
    { id: z, type: 'tab', label: 'ingest' },
    {
      id: brokerId, type: 'mqtt-broker', name: 'city broker', broker: o.mqtt.host, port: String(o.mqtt.port),
      clientid: o.mqtt.clientId, autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60',
      cleansession: false, autoUnsubscribe: true,
    },
    {
      id: influxId, type: 'influxdb', hostname: o.influx.host, port: String(o.influx.port), protocol: 'http',
      database: o.influx.database, name: 'bench influxd', usetls: false, tls: '', influxdbVersion: '1.x',
    },
    {
      id: inId, type: 'mqtt in', z, ...at(0), name: 'sensors', topic: o.mqtt.topic, qos: '1', datatype: 'json',
      broker: brokerId, nl: false, rap: true, rh: 0, inputs: 0, wires: [[toPointsId]],
    },
    {
      id: toPointsId, type: 'function', z, ...at(1), name: 'reading/SenML -> points', func: TO_POINTS, outputs: 1,
      timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[batchId]],
    },
    {
      id: batchId, type: 'join', z, ...at(2), name: 'batch', mode: 'custom', build: 'array', property: 'payload',
      propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', useparts: false, accumulate: false,
      timeout: String(o.batchWaitMs / 1000), count: String(o.batchMessages), reduceRight: false, wires: [[flattenId]],
    },
    {
      id: flattenId, type: 'function', z, ...at(3), name: 'flatten', func: 'msg.payload = msg.payload.flat();\nreturn msg;',
      outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [[writeId]],
    },
    { id: writeId, type: 'influxdb batch', z, ...at(4), name: 'write', influxdb: influxId, precision: 'ms', retentionPolicy: '', wires: [] },
  ];
  writeFileSync(join(o.userDir, 'flows.json'), JSON.stringify(flows, null, 2));
  const credentials = {
    [brokerId]: { user: o.mqtt.username, password: o.mqtt.password },
    [influxId]: { username: '', password: '' },
  };
  writeFileSync(join(o.userDir, 'flows_cred.json'), JSON.stringify(credentials, null, 2));
}

/** Arguments for process.execPath: the PID spawned is the Node-RED runtime itself. */
export function nodeRedArgs(installDir: string, userDir: string): string[] {
  return [join(installDir, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-s', join(userDir, 'settings.js'), 'flows.json'];
}
