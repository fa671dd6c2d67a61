/** What the test files that run inside the VM share. */
import { appendFileSync } from 'node:fs';
import { PROGRESS_ENV } from '../vm.js';

/** A command's timeout inside: everything is 20-40x slower there than on the host. */
export const SLOW = 180_000;

/** A line for the host to show while the VM runs (vm.ts's onProgress); nothing outside the VM. */
export function guestProgress(line: string): void {
  const file = process.env[PROGRESS_ENV];
  if (file) appendFileSync(file, `${new Date().toISOString().slice(11, 19)} ${line}\n`);
}
