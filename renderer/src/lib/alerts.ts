/** Turns whatever an API call threw into one line a user can read, naming the file. */
export interface AlertMessage {
  id: number;
  text: string;
  /** An analysis failure is replaced by the next analysis; other failures stay until dismissed. */
  source: 'analysis' | 'action';
}

function errorFile(e: unknown): string | undefined {
  const file = (e as { file?: unknown } | null)?.file;
  return typeof file === 'string' && file ? file : undefined;
}

export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The message, prefixed with the file it concerns when the message does not already name it:
 * the error's own file, else the files the failed action was about.
 */
export function alertText(e: unknown, files: readonly string[] = []): string {
  const raw = e instanceof Error ? e.message : String(e);
  const message = raw.split('\n')[0].trim() || 'unknown error';
  const named = errorFile(e);
  const candidates = named ? [named] : files;
  if (candidates.length === 0 || candidates.some((f) => message.includes(f))) return message;
  return `${fileList(candidates)}: ${message}`;
}

/** A series can have dozens of files: name the first few and count the rest. */
function fileList(files: readonly string[]): string {
  const shown = 3;
  if (files.length <= shown + 1) return files.join(', ');
  return `${files.slice(0, shown).join(', ')} and ${files.length - shown} more`;
}
