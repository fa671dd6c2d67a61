/**
 * Docker's credential helpers: `docker-credential-NAME get|store|erase`,
 * found in PATH, named by `credHelpers` (per registry) or `credsStore` (all
 * registries) in ~/.docker/config.json, as `docker login` on a desktop
 * (desktop, osxkeychain, secretservice, pass) or a cloud (ecr-login, gcr)
 * sets them up. The protocol (docker/docker-credential-helpers): the
 * server's key on stdin for get and erase, {"ServerURL","Username",
 * "Secret"} as JSON on stdin for store and on stdout from get; "not found"
 * is a failure whose output says "credentials not found".
 */
import { MobyDickError } from '../../errors.js';

/** A registry login, as a helper or ~/.docker/config.json keeps it. */
export interface Credentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (Docker's "identity token", from a login through
   * an identity provider): exchanged for bearer tokens at the registry's
   * token server (grant_type=refresh_token) instead of the password
   */
  identityToken?: string;
}

const NOT_FOUND = /credentials not found/i;

function program(helper: string): string {
  return `docker-credential-${helper}`;
}

/** Whether a file NAME is in one of PATH's directories (that this process can look into). */
function inPath(name: string, path: string): boolean {
  const { existsSync } = process.getBuiltinModule('node:fs');
  return path.split(':').some((dir) => dir !== '' && existsSync(`${dir}/${name}`));
}

/** runs HELPER with VERB and INPUT: its stdout, or { notFound } */
function run(helper: string, verb: 'get' | 'store' | 'erase', input: string, env: NodeJS.ProcessEnv): string | { notFound: true } {
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const r = spawnSync(program(helper), [verb], { input, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    // execvp says EACCES, not ENOENT, when a directory of PATH cannot be searched (a user's PATH with
    // /root/... in it): not installed all the same, unless one of PATH's directories has it
    const missing = code === 'ENOENT' || (code === 'EACCES' && !inPath(program(helper), env.PATH ?? ''));
    throw new MobyDickError('REGISTRY', `credential helper ${program(helper)} ${verb}: ${missing ? 'not found in PATH' : r.error.message}`, {
      subject: program(helper),
      ...(code ? { errnoName: code } : {}),
      hint: 'install it, or remove "credsStore"/"credHelpers" from ~/.docker/config.json to keep credentials in the file',
    });
  }
  if (r.status === 0) return r.stdout;
  const said = `${r.stdout}${r.stderr}`.trim();
  if (NOT_FOUND.test(said)) return { notFound: true };
  throw new MobyDickError('REGISTRY', `credential helper ${program(helper)} ${verb} failed${said ? `: ${said.split('\n')[0]}` : ` (exit ${r.status ?? r.signal})`}`, {
    subject: program(helper),
  });
}

/** the credentials HELPER keeps for SERVER, undefined when it has none */
export function helperGet(helper: string, server: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const out = run(helper, 'get', server, env);
  if (typeof out !== 'string') return undefined;
  let doc: { Username?: unknown; Secret?: unknown };
  try {
    doc = JSON.parse(out) as typeof doc;
  } catch {
    throw new MobyDickError('REGISTRY', `credential helper ${program(helper)} get: its answer is not JSON`, { subject: program(helper) });
  }
  if (typeof doc.Username !== 'string' || typeof doc.Secret !== 'string') {
    throw new MobyDickError('REGISTRY', `credential helper ${program(helper)} get: no Username and Secret in its answer`, { subject: program(helper) });
  }
  // "<token>": the secret is an identity token (an OAuth2 refresh token), as Docker stores one
  if (doc.Username === '<token>') return { username: '', password: '', identityToken: doc.Secret };
  if (doc.Username === '' && doc.Secret === '') return undefined;
  return { username: doc.Username, password: doc.Secret };
}

export function helperStore(helper: string, server: string, creds: Credentials, env: NodeJS.ProcessEnv): void {
  run(helper, 'store', JSON.stringify({ ServerURL: server, Username: creds.username, Secret: creds.password }), env);
}

/** false when HELPER had nothing for SERVER */
export function helperErase(helper: string, server: string, env: NodeJS.ProcessEnv): boolean {
  return typeof run(helper, 'erase', server, env) === 'string';
}
