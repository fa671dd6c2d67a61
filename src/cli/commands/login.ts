/** `moby-dick login [OPTIONS] [SERVER]`: credentials checked, then kept in ~/.docker/config.json (logout.ts removes them). */
import { MobyDickError } from '../../errors.js';
import { storeCredentials } from '../../images/registry/docker-config.js';
import { checkLogin, loginDomain } from '../../images/registry/login.js';
import { defineCommand } from '../command.js';

const OPTIONS = {
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  'password-stdin': { type: 'boolean' },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

const DESCRIPTION = `Log in to a registry (default: Docker Hub). The credentials are checked,
then stored in ~/.docker/config.json ($DOCKER_CONFIG/config.json), or by the
credential helper it names ("credHelpers", "credsStore"), as Docker does.

Options:
  -u, --username USER           the user name
  -p, --password PASSWORD       the password (visible to other users: prefer --password-stdin)
      --password-stdin          read the password from standard input
      --insecure-registry HOST  allow plain HTTP to HOST[:PORT] (loopback always is)`;

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

export const command = defineCommand({
  name: 'login',
  usage: 'login [OPTIONS] [SERVER]',
  summary: 'Log in to a registry',
  description: DESCRIPTION,
  options: OPTIONS,
  args: { min: 0, max: 1 },
  async run(flags, operands) {
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
  },
});
