import { describe, expect, it } from 'vitest';
import { badInput, NcLensError } from '../../../shared/errors.ts';
import { alertText, errorCode } from './alerts.ts';

describe('alertText', () => {
  it('keeps a message that already names its file', () => {
    const e = badInput('bad.npy', 'a .npy header', 'text');
    expect(alertText(e, ['bad.npy'])).toBe('bad.npy: expected a .npy header, found text');
  });

  it('names the error’s own file when the message does not', () => {
    const e = new NcLensError('bad-input', 'expected labels, found none', 'run.npz');
    expect(alertText(e, ['other.npz'])).toBe('run.npz: expected labels, found none');
  });

  it('falls back to the files the action was about, and keeps one line', () => {
    const e = new Error('upload too large\n    at stack frame');
    expect(alertText(e, ['a.npz', 'b.npz'])).toBe('a.npz, b.npz: upload too large');
    expect(alertText('plain failure')).toBe('plain failure');
  });

  it('names the first files of a long list and counts the rest', () => {
    const files = ['e1.npz', 'e2.npz', 'e4.npz', 'e8.npz', 'e16.npz'];
    expect(alertText(new Error('no labels'), files)).toBe(
      'e1.npz, e2.npz, e4.npz and 2 more: no labels',
    );
  });

  it('reads the error code', () => {
    expect(errorCode(new NcLensError('cancelled', 'cancelled'))).toBe('cancelled');
    expect(errorCode(new Error('x'))).toBeUndefined();
  });
});
