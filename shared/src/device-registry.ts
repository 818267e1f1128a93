// The device registry: ids, kinds, positions and hashed secrets, in one SQLite file under DATA_DIR
// so the devices CLI can change it while the broker and ingest run (WAL mode, one writer at a time).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { districtAt } from './city.ts';
import { DEVICE_ID_PATTERN, type Position, type SensorKind } from './reading.ts';

/** device: publishes under its own id; gateway: publishes under granted prefixes; service: our own processes. */
export const DEVICE_ROLES = ['device', 'gateway', 'service'] as const;
export type DeviceRole = (typeof DEVICE_ROLES)[number];

export interface Device {
  id: string;
  kind: SensorKind;
  role: DeviceRole;
  position?: Position;
  district?: string;
  /** extra topic prefixes this account may publish to, e.g. "frigate/" for an NVR */
  topicPrefixes: string[];
  /** false for devices registered on first message behind a gateway: they cannot log in */
  hasSecret: boolean;
  createdAt: number;
  lastSeenAt?: number;
  online: boolean;
}

export interface AddDevice {
  id: string;
  kind: SensorKind;
  role?: DeviceRole;
  position?: Position;
  topicPrefixes?: string[];
  /** given by a provisioning script; generated when absent */
  secret?: string;
}

// scrypt cost: ~50 ms per verification on this machine's cores, run off the event loop.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 };
const MIN_SECRET_LENGTH = 12;

function scrypt(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(expected, actual);
}

export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

export class RegistryError extends Error {}

interface Row {
  id: string;
  kind: string;
  role: string;
  lat: number | null;
  lon: number | null;
  district: string | null;
  topic_prefixes: string;
  secret_hash: string | null;
  created_at: number;
  last_seen_at: number | null;
  online: number;
}

function toDevice(row: Row): Device {
  return {
    id: row.id,
    kind: row.kind as SensorKind,
    role: row.role as DeviceRole,
    position: row.lat !== null && row.lon !== null ? { lat: row.lat, lon: row.lon } : undefined,
    district: row.district ?? undefined,
    topicPrefixes: JSON.parse(row.topic_prefixes) as string[],
    hasSecret: row.secret_hash !== null,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at ?? undefined,
    online: row.online === 1,
  };
}

export class DeviceRegistry {
  private readonly db: Database.Database;
  // prepared once: preparing per call cost ~14 µs per lookup, on the broker's CONNECT and ingest's paths
  private readonly selectById: Database.Statement;
  private readonly selectAll: Database.Statement;
  private readonly updateOnline: Database.Statement;

  private constructor(file: string) {
    this.db = new Database(file);
    // the timeout first: switching to WAL takes a write lock, which another process opening the
    // registry at the same moment (broker, ingest, dashboard) may hold
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS devices (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      role TEXT NOT NULL,
      lat REAL, lon REAL, district TEXT,
      topic_prefixes TEXT NOT NULL DEFAULT '[]',
      secret_hash TEXT,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER,
      online INTEGER NOT NULL DEFAULT 0
    )`);
    this.selectById = this.db.prepare('SELECT * FROM devices WHERE id = ?');
    this.selectAll = this.db.prepare('SELECT * FROM devices ORDER BY id');
    this.updateOnline = this.db.prepare('UPDATE devices SET online = ?, last_seen_at = ? WHERE id = ?');
  }

  /** Opens (and creates) DATA_DIR/devices.sqlite. */
  static open(dataDir: string): DeviceRegistry {
    mkdirSync(dataDir, { recursive: true });
    return new DeviceRegistry(join(dataDir, 'devices.sqlite'));
  }

  /** Adds a device with a secret; returns the secret in clear, the only time it is known. */
  async add(input: AddDevice): Promise<{ device: Device; secret: string }> {
    if (!DEVICE_ID_PATTERN.test(input.id)) {
      throw new RegistryError(`device id ${JSON.stringify(input.id)}: expected lowercase letters, digits, _ . - (1-64)`);
    }
    if (input.secret !== undefined && input.secret.length < MIN_SECRET_LENGTH) {
      throw new RegistryError(`secret: expected at least ${MIN_SECRET_LENGTH} characters`);
    }
    const existing = this.get(input.id);
    if (existing?.hasSecret) throw new RegistryError(`device ${input.id} already exists (use rotate for a new secret)`);
    const secret = input.secret ?? generateSecret();
    const hash = await hashSecret(secret);
    const position = input.position;
    this.db
      .prepare(
        `INSERT INTO devices (id, kind, role, lat, lon, district, topic_prefixes, secret_hash, created_at)
         VALUES (@id, @kind, @role, @lat, @lon, @district, @prefixes, @hash, @now)
         ON CONFLICT(id) DO UPDATE SET kind=@kind, role=@role, lat=@lat, lon=@lon, district=@district,
           topic_prefixes=@prefixes, secret_hash=@hash`,
      )
      .run({
        id: input.id,
        kind: input.kind,
        role: input.role ?? 'device',
        lat: position?.lat ?? null,
        lon: position?.lon ?? null,
        district: position ? (districtAt(position) ?? null) : null,
        prefixes: JSON.stringify(input.topicPrefixes ?? []),
        hash,
        now: Date.now(),
      });
    return { device: this.get(input.id)!, secret };
  }

  /**
   * Registers a device seen behind a gateway (a TTS end device, a Frigate camera) on its first
   * accepted message. It gets no secret: it cannot log in itself. Listed devices are left as they are.
   */
  registerSeen(id: string, kind: SensorKind, position?: Position): Device {
    this.db
      .prepare(
        `INSERT INTO devices (id, kind, role, lat, lon, district, created_at)
         VALUES (?, ?, 'device', ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
      )
      .run(id, kind, position?.lat ?? null, position?.lon ?? null, position ? (districtAt(position) ?? null) : null, Date.now());
    return this.get(id)!;
  }

  async rotate(id: string, secret?: string): Promise<string> {
    if (!this.get(id)) throw new RegistryError(`device ${id} not found`);
    if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
      throw new RegistryError(`secret: expected at least ${MIN_SECRET_LENGTH} characters`);
    }
    const next = secret ?? generateSecret();
    this.db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(await hashSecret(next), id);
    return next;
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes > 0;
  }

  get(id: string): Device | undefined {
    const row = this.selectById.get(id) as Row | undefined;
    return row ? toDevice(row) : undefined;
  }

  list(): Device[] {
    return (this.selectAll.all() as Row[]).map(toDevice);
  }

  /** The device when the secret matches, otherwise undefined. Unknown ids cost the same time. */
  async verify(id: string, secret: string): Promise<Device | undefined> {
    const row = this.selectById.get(id) as Row | undefined;
    const ok = await verifySecret(secret, row?.secret_hash ?? DUMMY_HASH);
    return ok && row?.secret_hash ? toDevice(row) : undefined;
  }

  setOnline(id: string, online: boolean, atMs: number = Date.now()): void {
    this.updateOnline.run(online ? 1 : 0, atMs, id);
  }

  close(): void {
    this.db.close();
  }
}

// A fixed hash of a random secret, so verifying an unknown id costs a real scrypt run.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$8gS4OUz5m8N3t0uqx2Vu0l6m7y2v2c3J8f3a0Qh3B4M=';
