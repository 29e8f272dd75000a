/**
 * The restricted unpickler (main/io/pickle.ts) on hand-written pickles, without Python: plain
 * values of every protocol, and the ways a pickle names code (GLOBAL, STACK_GLOBAL, INST, OBJ,
 * EXT) refused with one line naming the global. Nothing is ever called but the caller's own.
 */
import { describe, expect, it } from 'vitest';
import { unpickle } from '../../main/io/pickle.ts';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(
    parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)),
  );
const none = { resolve: () => undefined };

describe('the restricted unpickler', () => {
  it('reads plain values: ints of every width, floats, strings, bytes, containers, memo', () => {
    const clean = bytes(
      [0x80, 0x02],
      '}',
      'q',
      [0],
      '(',
      'X',
      [1, 0, 0, 0],
      'a',
      'K',
      [7],
      'X',
      [1, 0, 0, 0],
      'b',
      'J',
      [0xff, 0xff, 0xff, 0xff],
      'X',
      [1, 0, 0, 0],
      'c',
      [0x8a, 9],
      [0, 0, 0, 0, 0, 0, 0, 0, 1],
      'X',
      [1, 0, 0, 0],
      'd',
      'G',
      [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18],
      'X',
      [1, 0, 0, 0],
      'e',
      ']',
      '(',
      'N',
      [0x88, 0x89],
      'e',
      'X',
      [1, 0, 0, 0],
      'f',
      'C',
      [2],
      'hi',
      'M',
      [0x34, 0x12],
      [0x86],
      'X',
      [1, 0, 0, 0],
      'g',
      'h',
      [0],
      'u.',
    );
    const { value, end } = unpickle(clean, 'x.pkl', none);
    expect(end).toBe(clean.length);
    const d = value as Map<string, unknown>;
    expect(d.get('a')).toBe(7);
    expect(d.get('b')).toBe(-1);
    expect(d.get('c')).toBe(2n ** 64n);
    expect(d.get('d')).toBe(Math.PI);
    expect(d.get('e')).toEqual([null, true, false]);
    expect(d.get('f')).toEqual([Uint8Array.from([0x68, 0x69]), 0x1234]);
    expect(d.get('g')).toBe(d); // the memo holds the dict itself
  });

  const refused: [string, Uint8Array, RegExp][] = [
    [
      'protocol 0 GLOBAL os.system with REDUCE',
      bytes("cos\nsystem\n(S'touch /tmp/nc-lens-pwned'\ntR."),
      /global os\.system, refused and not run$/,
    ],
    [
      'protocol 4 STACK_GLOBAL builtins.eval',
      bytes(
        [0x80, 0x04],
        [0x8c, 8],
        'builtins',
        [0x8c, 4],
        'eval',
        [0x93],
        [0x8c, 1],
        '1',
        [0x85],
        'R.',
      ),
      /global builtins\.eval, refused and not run$/,
    ],
    [
      'protocol 2 __builtin__.exec (Python 2 naming)',
      bytes([0x80, 0x02], 'c__builtin__\nexec\n', 'X', [1, 0, 0, 0], '1', [0x85], 'R.'),
      /global builtins\.exec, refused and not run$/,
    ],
    [
      'a whole nn.Module',
      bytes([0x80, 0x02], 'ctorch.nn.modules.linear\nLinear\n', ')', [0x81], '.'),
      /global torch\.nn\.modules\.linear\.Linear, refused and not run \(save model\.state_dict\(\), not the model\)$/,
    ],
    ['INST', bytes('(ios\nsystem\nS"x"\n.'), /found opcode INST at byte 1$/],
    ['OBJ', bytes('(N', 'o.'), /found opcode OBJ at byte 2$/],
    ['EXT1', bytes([0x80, 0x02, 0x82, 1], '.'), /found opcode EXT1 at byte 2$/],
    ['an unknown opcode', bytes([0x80, 0x02, 0xff]), /found opcode 0xff at byte 2$/],
    [
      'a truncated string',
      bytes([0x80, 0x02], 'X', [0xff, 0, 0, 0], 'ab'),
      /expected 255 more bytes of pickle/,
    ],
    [
      'a huge BINBYTES8 length',
      bytes([0x80, 0x04, 0x8e], [0, 0, 0, 0, 0, 0, 0, 0x10]),
      /expected a length inside the pickle/,
    ],
    [
      'STOP on an empty stack',
      bytes('.'),
      /expected a value on the pickle stack, found an empty stack/,
    ],
  ];
  for (const [what, pickle, message] of refused) {
    it(`refuses ${what} in one line, calling nothing`, () => {
      let called = 0;
      const hooks = {
        resolve: (m: string, n: string) =>
          m === 'torch._utils' && n === '_rebuild_tensor_v2' ? () => called++ : undefined,
      };
      const e = (() => {
        try {
          unpickle(pickle, 'evil.pkl', hooks);
        } catch (err) {
          return err as Error;
        }
        return undefined;
      })();
      expect(e?.name).toBe('NcLensError');
      expect(e?.message).toMatch(/^evil\.pkl: expected /);
      expect(e?.message).toMatch(message);
      expect(e?.message).not.toContain('\n');
      expect(called).toBe(0);
    });
  }
});
