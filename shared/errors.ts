/**
 * Errors a user can read. Every failure NC Lens reports is one of these: one line naming
 * the file, what was expected and what was found. They cross the service boundary as plain
 * values (`toErrorValue`) and are rebuilt on the other side (`fromErrorValue`).
 */
export type ErrorCode = 'bad-input' | 'cancelled' | 'internal';

export interface ErrorValue {
  code: ErrorCode;
  message: string;
  file?: string;
}

export class NcLensError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  constructor(code: ErrorCode, message: string, file?: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'NcLensError';
    this.code = code;
    this.file = file;
  }
}

/** Bad input: `<file>: expected <expected>, found <found>`. */
export function badInput(file: string | undefined, expected: string, found: string): NcLensError {
  const where = file ? `${file}: ` : '';
  return new NcLensError('bad-input', `${where}expected ${expected}, found ${found}`, file);
}

export function cancelled(): NcLensError {
  return new NcLensError('cancelled', 'cancelled');
}

export function isNcLensError(e: unknown): e is NcLensError {
  return e instanceof NcLensError;
}

export function toErrorValue(e: unknown): ErrorValue {
  if (e instanceof NcLensError) return { code: e.code, message: e.message, file: e.file };
  if (e instanceof Error && e.name === 'AbortError')
    return { code: 'cancelled', message: 'cancelled' };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: `internal error: ${msg.split('\n')[0]}` };
}

export function fromErrorValue(v: ErrorValue): NcLensError {
  return new NcLensError(v.code, v.message, v.file);
}
