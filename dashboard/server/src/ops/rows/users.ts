// Operator rows as both stores read them, the flags decoded to booleans, and the one mapping to an
// Operator (never the password hash).
import type { Operator, Role } from '@city/shared';

export interface UserRow {
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  evidence_access: boolean;
  disabled: boolean;
  created_at: number;
}

export const toOperator = (row: UserRow): Operator => ({
  username: row.username,
  displayName: row.display_name,
  role: row.role as Role,
  evidenceAccess: row.evidence_access,
  createdAt: row.created_at,
  disabled: row.disabled,
});
