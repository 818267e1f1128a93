// multipart/form-data bodies (the city's report form: text fields plus photos) read with busboy, with
// every limit enforced while the bytes stream in: an oversized photo or one photo too many stops the
// reading at once (413) instead of after the upload. Files are kept in memory: the limits bound them.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';

export interface MultipartLimits {
  /** the only field name files may use ("photo") */
  fileField: string;
  maxFiles: number;
  /** per file, bytes */
  maxFileBytes: number;
  maxFields: number;
  /** per field value, bytes */
  maxFieldBytes: number;
}

export interface UploadedFile {
  /** as the sender named it: not trusted for anything */
  filename: string | undefined;
  /** as the sender declared it: not trusted for anything */
  declaredType: string;
  data: Buffer;
}

/** Field values by name; a repeated name gives an array (as a url-encoded form parser would). */
export type MultipartFields = Record<string, string | string[]>;

export type MultipartResult =
  | { ok: true; fields: MultipartFields; files: UploadedFile[] }
  | { ok: false; status: 400 | 413 | 415; message: string };

/** Room for the text fields and the part headers around the files, bytes. */
const OVERHEAD_BYTES = 256 * 1024;

/** The largest body the limits allow: a Content-Length above it is refused before reading. */
export const maxMultipartBytes = (limits: MultipartLimits) => limits.maxFiles * limits.maxFileBytes + OVERHEAD_BYTES;

/** 5 MB, 20 kB: for messages people read */
const sizeText = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.ceil(bytes / 1024)} kB`);

export function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartResult> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    return Promise.resolve({ ok: false, status: 415, message: 'expected Content-Type: multipart/form-data' });
  }
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > maxMultipartBytes(limits)) {
    return Promise.resolve({ ok: false, status: 413, message: `the form is ${sizeText(length)}; at most ${limits.maxFiles} photos of ${sizeText(limits.maxFileBytes)} each are accepted` });
  }

  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          files: limits.maxFiles,
          fileSize: limits.maxFileBytes,
          fields: limits.maxFields,
          fieldSize: limits.maxFieldBytes,
          parts: limits.maxFiles + limits.maxFields,
          fieldNameSize: 200,
        },
      });
    } catch (err) {
      resolve({ ok: false, status: 400, message: `malformed multipart body: ${(err as Error).message}` });
      return;
    }
    const fields: MultipartFields = {};
    const files: UploadedFile[] = [];
    let settled = false;
    const finish = (result: MultipartResult) => {
      if (settled) return;
      settled = true;
      if (!result.ok) {
        // stop parsing; what is still coming is read and dropped so the answer can be sent
        req.unpipe(parser);
        req.resume();
      }
      resolve(result);
    };
    const refuse = (status: 400 | 413, message: string) => finish({ ok: false, status, message });
    // the parser may close before the last file stream has ended: done when both have happened
    let openFiles = 0;
    let closed = false;
    const maybeDone = () => {
      if (closed && openFiles === 0) finish({ ok: true, fields, files });
    };

    parser.on('field', (name, value, info) => {
      if (info.nameTruncated) return refuse(400, 'a field name is too long');
      if (info.valueTruncated) return refuse(413, `${name}: longer than ${limits.maxFieldBytes} bytes`);
      const previous = fields[name];
      fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    });
    parser.on('file', (name, stream, info) => {
      if (name !== limits.fileField) {
        stream.resume();
        return refuse(400, `${name}: files are accepted only as ${limits.fileField}`);
      }
      const index = files.length + openFiles + 1;
      const chunks: Buffer[] = [];
      openFiles++;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => refuse(413, `${limits.fileField} ${index}: larger than ${sizeText(limits.maxFileBytes)}`));
      stream.on('end', () => {
        openFiles--;
        if (settled || stream.truncated) return;
        const data = Buffer.concat(chunks);
        // a file input left empty sends a part with no name and no bytes: not a photo
        if (data.length > 0 || info.filename) files.push({ filename: info.filename, declaredType: info.mimeType, data });
        maybeDone();
      });
    });
    parser.on('filesLimit', () => refuse(413, `at most ${limits.maxFiles} ${limits.fileField}${limits.maxFiles === 1 ? '' : 's'} per report`));
    parser.on('fieldsLimit', () => refuse(413, `at most ${limits.maxFields} fields`));
    parser.on('partsLimit', () => refuse(413, `at most ${limits.maxFiles + limits.maxFields} parts`));
    parser.on('error', (err: Error) => refuse(400, `malformed multipart body: ${err.message}`));
    parser.on('close', () => {
      closed = true;
      maybeDone();
    });
    req.on('aborted', () => refuse(400, 'the upload was interrupted'));
    req.pipe(parser);
  });
}
