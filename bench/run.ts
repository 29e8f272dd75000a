/**
 * Benchmark dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts's
 * `run(args)`. Benchmarks write their data under .bench/ (git-ignored).
 */
import { readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));

if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [args]\n`);
  process.exitCode = 2;
} else {
  const mod = (await import(new URL(`${name}.ts`, here).href)) as {
    run(args: string[]): Promise<void>;
  };
  await mod.run(args);
}
