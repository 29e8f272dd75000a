/**
 * Where the shared fixtures are: `../shared` beside the repository (CI lays a copy there).
 * Tests read them; the app never does.
 */
import { fileURLToPath } from 'node:url';

export const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
export const MNIST = `${SHARED}fixtures/mnist-mlp`;
export const FORMATS = `${SHARED}fixtures/formats`;
