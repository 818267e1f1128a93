// The operations store: operators, sessions, incidents, the audit trail, the rule set, evidence and
// citizen reports.
// Interfaces in repositories.ts, the SQLite implementation in the other files, the PostgreSQL one in
// pg/, the row types and row-to-record mappings both share in rows/, services on top.
export { POSTGRES_URL_PROTOCOLS, openOpsStore, openOpsStoreAsync, SqliteOpsStore } from './store.ts';
export { PgOpsStore, type PgOpsStoreOptions } from './pg/store.ts';
export type * from './repositories.ts';
export { AUDIT_LIST_LIMIT, INCIDENT_LIST_LIMIT, REPORT_LIST_LIMIT, REPORT_SOURCES } from './repositories.ts';
export * from './errors.ts';
export { MIGRATIONS, OPS_DB_FILE, migrate, openOpsDatabase, type Migration } from './db.ts';
export { AUDIT_CSV_HEADER, auditCsvRow, changedFields, csvField, exportAuditCsv } from './audit.ts';
export { INCIDENT_ID_PATTERN, formatIncidentId, linkKey } from './incidents.ts';
export { EVIDENCE_LIST_LIMIT } from './evidence.ts';
export { PHOTO_ID_PATTERN, REPORT_ID_PATTERN, REPORT_TOKEN_PATTERN } from './reports.ts';
export { SESSION_ID_PATTERN, hashSessionId } from './sessions.ts';
export {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  RESERVED_USERNAMES,
  USERNAME_PATTERN,
  generatePassword,
  normalizeUsername,
  passwordProblem,
  usernameProblem,
} from './users.ts';
export {
  COMMENT_MAX_LENGTH,
  IncidentService,
  type IncidentChange,
  type IncidentListener,
  type IncidentServiceContext,
  type LinkInput,
  type OpenIncidentInput,
  type RuleUpdatePatch,
} from './incident-service.ts';
export {
  NOTE_MAX_LENGTH,
  ReportService,
  preparePhoto,
  type DuplicateSuggestion,
  type ReportDetail,
  type ReportOrigin,
  type ReportChange,
  type ReportListener,
  type ReportServiceContext,
  type SuggestOptions,
} from './report-service.ts';
export { UserService, bootstrapAdmin, type BootstrapAdminOptions, type OperatorUpdate } from './user-service.ts';
export { WorkflowError } from '../core/workflow.ts';
