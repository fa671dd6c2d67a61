/** --explain for the runtime's create, run and exec: a recorder that writes to stderr, or none. */
export { stderrRecorder as explainRecorder } from '../explain/recorder.js';
