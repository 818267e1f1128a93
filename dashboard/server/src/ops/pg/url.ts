// DATABASE_URL schemes that select the PostgreSQL operations store (no imports: config.ts reads it).
export const POSTGRES_URL_PROTOCOLS: readonly string[] = ['postgres:', 'postgresql:'];
