import { expect } from 'vitest';
import { NcLensError } from '../../shared/errors.ts';

/** The NcLensError `p` rejects with; fails the test when it resolves or throws anything else. */
export async function rejection(p: Promise<unknown>): Promise<NcLensError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NcLensError);
  return e as NcLensError;
}
