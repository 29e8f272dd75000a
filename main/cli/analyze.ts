import { NcLensError } from '../../shared/errors.ts';

/** Placeholder until this command is built. */
export async function run(_argv: string[]): Promise<number> {
  throw new NcLensError('internal', 'analyze is not built yet');
}
