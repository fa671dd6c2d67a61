/** moby-dick's version, as the bundle stamps it (package.json's); "dev" when run from build/tsc. */
declare const MOBY_DICK_VERSION: string;

export const ENGINE_VERSION: string = typeof MOBY_DICK_VERSION === 'string' ? MOBY_DICK_VERSION : 'dev';
