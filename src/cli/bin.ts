/** The CLI's entry when it starts from its bundle (no startup snapshot). */
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
