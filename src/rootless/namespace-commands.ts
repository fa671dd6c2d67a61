/**
 * How an ordinary user's engine runs its hidden commands (rootless-cp,
 * rootless-layer, rootless-export) as root of the user's user namespace,
 * where the files of the user's subordinate ids show their in-namespace
 * owners and may be read, written and mounted. The interface is here; its
 * one implementation runs this CLI again in that namespace
 * (jail/userns-run.ts: cliInUserNamespace), and the composition roots (the
 * CLI and its API service, the library's openEngine) give it to the Engine
 * (EngineOptions.namespace).
 */

/** What a hidden command printed on stderr, and its exit code. */
export interface NamespaceResult {
  code: number;
  stderr: string;
}

/** A hidden command running with pipes (NamespaceCommands.spawn): a conversation, its stdout read while its stdin is written */
export interface NamespaceProcess {
  readonly stdin: NodeJS.WritableStream & { destroyed: boolean; on(event: 'error', fn: (e: Error) => void): unknown };
  readonly stdout: AsyncIterable<Buffer>;
  readonly stderr: NodeJS.ReadableStream;
  /** its exit code once it ended */
  wait(): Promise<number>;
}

export interface NamespaceCommands {
  /** ARGS (a hidden command, its arguments) with INPUT as its stdin (none: empty), PASS_FDS at 3, 4, ...; its stdout collected */
  run(args: readonly string[], input?: AsyncIterable<Buffer>, passFds?: readonly number[]): Promise<NamespaceResult & { stdout: string }>;
  /** ARGS with its stdout going to OUT (not ended), PASS_FDS at 3, 4, ... */
  stream(args: readonly string[], out: NodeJS.WritableStream, passFds?: readonly number[]): Promise<NamespaceResult>;
  /** ARGS started with its stdin, stdout and stderr as pipes (an ordinary user's build: the step's root looked up, then written; build/rootless-steps.ts) */
  spawn?(args: readonly string[]): NamespaceProcess;
}
