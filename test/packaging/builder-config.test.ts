/**
 * electron-builder.yml checked the way electron-builder checks it (its own scheme.json and
 * validator), and what the .deb gets from it: the desktop entry's category and MIME types,
 * one file association per extension the app opens.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FILE_EXTENSIONS } from '../../main/electron/ipc.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const builderLib = require.resolve('app-builder-lib/package.json');
const fromBuilder = createRequire(builderLib);
const yaml = fromBuilder('js-yaml') as { load(text: string): unknown };
const { validateSchema } = fromBuilder('./out/util/config/schemaValidator.js') as {
  validateSchema(schema: unknown, data: unknown, opts?: { name: string }): void;
};

interface Association {
  ext: string;
  name: string;
  mimeType?: string;
  role?: string;
}
const config = yaml.load(readFileSync(`${ROOT}electron-builder.yml`, 'utf8')) as {
  fileAssociations: Association[];
  linux: { target: string; category: string; executableName: string; icon: string };
};

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation", () => {
    const schema = JSON.parse(readFileSync(fromBuilder.resolve('./scheme.json'), 'utf8'));
    expect(() => validateSchema(schema, config, { name: 'electron-builder' })).not.toThrow();
    expect(() => validateSchema(schema, { ...config, linux: { targte: 'deb' } })).toThrow();
  });

  it('associates every extension the app opens, each with a MIME type, and nothing else', () => {
    const exts = config.fileAssociations.map((a) => a.ext);
    expect([...exts].sort()).toEqual([...FILE_EXTENSIONS].sort());
    for (const a of config.fileAssociations) {
      expect(a.mimeType).toMatch(/^application\/x-[\w-]+$/);
      expect(a.role).toBe('Viewer');
    }
    expect(new Set(config.fileAssociations.map((a) => a.mimeType)).size).toBe(exts.length);
  });

  it('builds a .deb with a Science desktop entry, and package.json names its maintainer', () => {
    expect(config.linux.target).toBe('deb');
    expect(config.linux.category).toBe('Science');
    expect(config.linux.executableName).toBe('nc-lens');
    // The desktop entry's icon: a 512×512 PNG (electron-builder scales it for the hicolor theme).
    const icon = readFileSync(`${ROOT}${config.linux.icon}`);
    expect(icon.subarray(1, 4).toString()).toBe('PNG');
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([512, 512]);
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
    // electron-builder's .deb needs the maintainer's e-mail (from author) and a homepage.
    expect(pkg.author).toMatch(/<[^>]+@[^>]+>/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
  });
});
