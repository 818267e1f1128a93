// The latest JPEG per camera at DATA_DIR/snapshots/{cameraId}.jpg, replaced atomically (temporary file
// + rename) so a reader never sees half an image.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_ID_PATTERN } from '@city/shared';

export class SnapshotStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The file a camera's latest snapshot is kept in. */
  pathFor(cameraId: string): string {
    // the id is a path component: only registry-shaped ids, never "../x"
    if (!DEVICE_ID_PATTERN.test(cameraId)) throw new Error(`camera id ${JSON.stringify(cameraId)} is not a device id`);
    return join(this.dir, `${cameraId}.jpg`);
  }

  save(cameraId: string, jpeg: Buffer): string {
    const file = this.pathFor(cameraId);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, jpeg);
    renameSync(tmp, file);
    return file;
  }
}
