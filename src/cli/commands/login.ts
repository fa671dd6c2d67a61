/** `moby-dick login [OPTIONS] [SERVER]` and `moby-dick logout [SERVER]`: credentials in ~/.docker/config.json. */
import { MobyDickError } from '../../errors.js';
import { removeCredentials, storeCredentials } from '../../images/docker-config.js';
import { checkLogin, loginDomain } from '../../images/login.js';
import { parseCommandLine } from '../args.js';

const OPTIONS = {
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  'password-stdin': { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

export const LOGIN_HELP = `Usage: moby-dick login [OPTIONS] [SERVER]

Log in to a registry (default: Docker Hub). The credentials are checked,
then stored in ~/.docker/config.json ($DOCKER_CONFIG/config.json), or by the
credential helper it names ("credHelpers", "credsStore"), as Docker does.

Options:
  -u, --username USER           the user name
  -p, --password PASSWORD       the password (visible to other users: prefer --password-stdin)
      --password-stdin          read the password from standard input
      --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (loopback always is)
`;

export const LOGOUT_HELP = `Usage: moby-dick logout [SERVER]

Remove the stored credentials of a registry (default: Docker Hub)
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(question: string, hidden: boolean): Promise<string> {
  // loaded here: the CLI's startup snapshot cannot hold node:readline (cli/snapshot.ts)
  const rl = process.getBuiltinModule('node:readline/promises').createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (hidden) {
    // echo nothing of the password: readline writes through _writeToOutput
    const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
    r._writeToOutput = (s: string) => {
      if (s.startsWith(question)) r.output.write(question);
    };
  }
  try {
    return await rl.question(question);
  } finally {
    if (hidden) process.stdout.write('\n');
    rl.close();
  }
}

export async function login(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, OPTIONS, 'moby-dick login --help');
  if (flags.help) {
    process.stdout.write(LOGIN_HELP);
    return 0;
  }
  if (operands.length > 1) throw new MobyDickError('USAGE', '"moby-dick login" accepts at most 1 argument', { hint: "see 'moby-dick login --help'" });
  if (flags['password-stdin'] && flags.password !== undefined) {
    throw new MobyDickError('USAGE', '--password and --password-stdin are mutually exclusive');
  }
  if (flags['password-stdin'] && flags.username === undefined) {
    throw new MobyDickError('USAGE', 'must provide --username with --password-stdin');
  }
  const domain = loginDomain(operands[0]);
  const interactive = process.stdin.isTTY === true;
  let username = flags.username;
  let password = flags['password-stdin'] ? await readStdin() : flags.password;
  if (username === undefined) {
    if (!interactive) throw new MobyDickError('USAGE', 'cannot ask for a user name: standard input is not a terminal', { hint: 'use --username' });
    username = (await prompt('Username: ', false)).trim();
  }
  if (password === undefined) {
    if (!interactive) throw new MobyDickError('USAGE', 'cannot ask for a password: standard input is not a terminal', { hint: 'use --password-stdin' });
    password = await prompt('Password: ', true);
  }
  if (username === '' || password === '') throw new MobyDickError('USAGE', 'a user name and a password are required');
  await checkLogin(domain, { username, password }, { insecureRegistries: flags['insecure-registry'] ?? [] });
  storeCredentials(domain, { username, password });
  process.stdout.write('Login Succeeded\n');
  return 0;
}

export async function logout(argv: readonly string[]): Promise<number> {
  const { values: flags, operands } = parseCommandLine(argv, { help: { type: 'boolean' } }, 'moby-dick logout --help');
  if (flags.help) {
    process.stdout.write(LOGOUT_HELP);
    return 0;
  }
  if (operands.length > 1) throw new MobyDickError('USAGE', '"moby-dick logout" accepts at most 1 argument', { hint: "see 'moby-dick logout --help'" });
  const domain = loginDomain(operands[0]);
  if (removeCredentials(domain)) process.stdout.write(`Removing login credentials for ${domain}\n`);
  else process.stdout.write(`Not logged in to ${domain}\n`);
  return 0;
}
