/**
 * The CLI's entry when it starts from its bundle (no startup snapshot),
 * through build/moby-dick.cjs (start.ts). While start.ts makes the code
 * cache, only the jail's and the original form's pure steps run.
 */
import { warmUpJail } from './jail-warm-up.js';
import { main } from './main.js';
import { warmingUp } from './warm-up-flag.js';

if (warmingUp()) {
  warmUpJail();
} else {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
