// The ops CLI: operator accounts in DATA_DIR/ops.sqlite, or in PostgreSQL when DATABASE_URL is set, as
// the dashboard reads them. Safe while the dashboard runs (SQLite WAL, busy timeout; PostgreSQL locks); every change is in the audit trail as actor cli:<os user>.
//   tsx dashboard/server/src/ops-cli.ts users add alice --role operator
//   printf '%s' "$PASSWORD" | tsx dashboard/server/src/ops-cli.ts users add bob --role admin --password-stdin
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { EnvReader, ROLES, type Operator, type Role } from '@city/shared';
import { POSTGRES_URL_PROTOCOLS, UserService, generatePassword, openOpsStoreAsync, type OpsStore } from './ops/index.ts';
import { EMAIL_PATTERN } from './ops/notifications.ts';

const USAGE = `Usage: ops-cli users <command> [options]

Commands:
  users add <username> --role viewer|operator|admin [--password-stdin]
            [--display-name <name>] [--evidence-access] [--email <address>]
                          create an operator; prints a generated password unless one is read from stdin
  users set-email <username> --email <address>
                          where deadline reminders about citizen reports go (--email '' clears it)
  users list              table of operators: username, name, role, evidence access, disabled, created
  users disable <username>
                          refuse its logins and end its sessions
  users enable <username> allow its logins again
  users reset-password <username> [--password-stdin]
                          set a new password (generated unless read from stdin) and end its sessions

Passwords: at least 12 characters. --password-stdin reads the whole of stdin (one trailing newline dropped).
Environment: DATA_DIR (default ./data) holds ops.sqlite; DATABASE_URL (postgres://…) instead
`;

class UsageError extends Error {}

function table(users: Operator[]): string {
  const rows = [
    ['USERNAME', 'NAME', 'ROLE', 'EVIDENCE', 'DISABLED', 'CREATED'],
    ...users.map((u) => [u.username, u.displayName, u.role, u.evidenceAccess ? 'yes' : 'no', u.disabled ? 'yes' : 'no', new Date(u.createdAt).toISOString()]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function actorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli'; // no passwd entry (some containers)
  }
}

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'display-name': { type: 'string' },
      'evidence-access': { type: 'boolean' },
      email: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [area, command, ...args] = positionals;
  if (values.help || area === 'help' || area === undefined) return out(USAGE);
  if (area !== 'users') throw new UsageError(`unknown area ${JSON.stringify(area)}: expected users`);
  const allowed: Record<string, string[]> = {
    add: ['role', 'password-stdin', 'display-name', 'evidence-access', 'email'],
    'set-email': ['email'],
    list: [],
    disable: [],
    enable: [],
    'reset-password': ['password-stdin'],
  };
  if (command === undefined) throw new UsageError('users: expected a command');
  if (!(command in allowed)) throw new UsageError(`users: unknown command ${JSON.stringify(command)}`);
  for (const key of Object.keys(values)) {
    if (key !== 'help' && !allowed[command]!.includes(key)) throw new UsageError(`users ${command}: --${key} does not apply`);
  }
  const expected = command === 'list' ? 0 : 1;
  if (args.length !== expected) throw new UsageError(`users ${command}: expected ${expected ? 'one username' : 'no arguments'} (got ${args.length})`);
  let role: Role | undefined;
  if (command === 'add') {
    if (values.role === undefined) throw new UsageError(`users add: --role is required, one of ${ROLES.join(', ')}`);
    if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role: expected one of ${ROLES.join(', ')} (got ${values.role})`);
    role = values.role as Role;
  }
  if (command === 'set-email' && values.email === undefined) throw new UsageError('users set-email: --email is required');
  if (values.email && !EMAIL_PATTERN.test(values.email)) throw new UsageError(`--email: expected an address like name@example.org (got ${JSON.stringify(values.email)})`);
  const given = values['password-stdin'] ? await readStdin() : undefined;

  const env = new EnvReader();
  const dataDir = env.str('DATA_DIR', './data');
  const databaseUrl = env.optionalUrl('DATABASE_URL', [...POSTGRES_URL_PROTOCOLS]);
  env.assertValid();
  const store = await openOpsStoreAsync(dataDir, databaseUrl);
  const users = new UserService(store);
  const actor = actorName();
  const username = args[0]!;
  try {
    switch (command) {
      case 'add': {
        const password = given ?? generatePassword();
        const user = await users.create(
          {
            username,
            password,
            role: role!,
            ...(values['display-name'] !== undefined ? { displayName: values['display-name'] } : {}),
            evidenceAccess: values['evidence-access'] === true,
          },
          actor,
        );
        if (values.email) await setEmail(store, user.username, values.email, actor);
        out(`added ${user.username} (${user.role}${user.evidenceAccess ? ', evidence access' : ''})`);
        if (given === undefined) out(`password: ${password}\n(shown once: give it to ${user.username} and have it changed)`);
        else out('password: set to the one given');
        break;
      }
      case 'set-email': {
        await setEmail(store, username, values.email!, actor);
        out(values.email ? `${username}: reminders go to ${values.email}` : `${username}: no email`);
        break;
      }
      case 'list': {
        const list = await store.users.list();
        out(list.length ? table(list) : `no operators in ${databaseUrl ? 'the database' : dataDir}`);
        break;
      }
      case 'disable':
      case 'enable': {
        const user = await users.update(username, { disabled: command === 'disable' }, actor);
        out(`${command}d ${user.username}`);
        break;
      }
      case 'reset-password': {
        const password = await users.resetPassword(username, actor, given);
        out(given === undefined ? `password: ${password}\n(shown once; every session of ${username} has ended)` : `password: set to the one given; every session of ${username} has ended`);
        break;
      }
    }
  } finally {
    await store.close();
  }
}

/** Sets (or with '' clears) an operator's email for reminders, audited like the other user changes. */
async function setEmail(store: OpsStore, username: string, email: string, actor: string): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.notifications.setOperatorEmail(username, email === '' ? null : email);
    await tx.audit.append({ actor, action: 'user.email', entityType: 'user', entityId: username.toLowerCase(), after: { email: email === '' ? 'cleared' : 'set' } });
  });
}

run(process.argv.slice(2), (line) => console.log(line)).catch((err: unknown) => {
  const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (usage) console.error('run with --help for usage');
  process.exitCode = usage ? 2 : 1;
});
