/**
 * Where the store's SQLite comes from: better-sqlite3, required from
 * node_modules when the store opens; or, in the CLI's startup snapshot
 * (cli/snapshot.ts), its JavaScript from the snapshot with only its compiled
 * addon loaded from node_modules. Requiring the package's dozen modules and
 * its `bindings` search for the addon took about 5-10 ms of every engine
 * command.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** The addon object in place of a path: better-sqlite3 accepts either (its types say only a path). */
export type SqliteOptions = Omit<BetterSqlite3.Options, 'nativeBinding'> & { nativeBinding?: string | object };

export interface SqliteDriver {
  Driver: typeof BetterSqlite3;
  options: SqliteOptions;
}

let given: (() => SqliteDriver | undefined) | undefined;

/** A driver of the caller's, when it has one (undefined: require better-sqlite3 after all). */
export function useSqliteDriver(fn: () => SqliteDriver | undefined): void {
  given = fn;
}

export function sqliteDriver(): SqliteDriver {
  const driver = given?.();
  if (driver) return driver;
  const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);
  return { Driver: require('better-sqlite3') as typeof BetterSqlite3, options: {} };
}
