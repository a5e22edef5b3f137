// The one way heraldctl commands read a file argument ("-" = standard input), with the error text they print.
import { readFileSync } from 'node:fs';

export type InputResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string };

/** Reads FILE, or standard input for "-"; an unreadable file is `cannot read <file>: <why>`. */
export function readInput(file: string, readStdin: () => string): InputResult {
  try {
    return { ok: true, text: file === '-' ? readStdin() : readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(e);
    return { ok: false, error: `cannot read ${inputName(file)}: ${why}` };
  }
}

export const inputName = (file: string): string => (file === '-' ? 'standard input' : file);
