/**
 * A restricted unpickler: the pickle virtual machine interpreted opcode by opcode, with no
 * Python behind it. Nothing of a pickle is ever executed: a GLOBAL names a Python object, and
 * only the names the caller resolves (the ones PyTorch's `torch.load(weights_only=True)`
 * allows, main/io/torch.ts) become values; any other global is refused with one line naming
 * it, before the opcodes after it are even read. REDUCE, NEWOBJ and BUILD apply the caller's
 * resolved functions to plain values, never anything the pickle brings.
 *
 * Values: None → null, bools, int → number (bigint beyond 2^53), float → number, str →
 * string, bytes → Uint8Array, list and tuple → arrays, dict → Map, set → Set.
 */
import { badInput } from '../../shared/errors.ts';

/** What a resolved global is called with: REDUCE's argument tuple, NEWOBJ's arguments. */
export type PickleCallable = (args: unknown[]) => unknown;

export interface UnpickleHooks {
  /**
   * The value of the global `module.name`, or undefined to refuse it. A callable global
   * resolves to a PickleCallable; a class used only as a marker (a storage type) to any value.
   */
  resolve(module: string, name: string): unknown;
  /** PERSID / BINPERSID: the object a persistent id names (PyTorch's storages). */
  persistentLoad?(pid: unknown): unknown;
  /** BUILD on a value of the caller's: return false to refuse the state. */
  build?(target: unknown, state: unknown): boolean;
}

/** The message a refused global gives, naming it. */
export function refusedGlobal(where: string, module: string, name: string): Error {
  const hint = /^torch\.nn\.modules\.|^__main__$/.test(module)
    ? ' (save model.state_dict(), not the model)'
    : '';
  return badInput(
    where,
    'only the globals torch.load(weights_only=True) allows',
    `global ${module}.${name}, refused and not run${hint}`,
  );
}

/** Pickles carry no more than this many bytes of big integer (LONG1/LONG4). */
const MAX_LONG_BYTES = 64;

/** Opcode names, for messages about opcodes this machine does not run. */
const REFUSED_OPS: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/**
 * Unpickles the pickle starting at `start` in `bytes`; returns the value and the offset just
 * after its STOP (a legacy torch file is several pickles in a row). `where` names it in errors.
 */
export function unpickle(
  bytes: Uint8Array,
  where: string,
  hooks: UnpickleHooks,
  start = 0,
): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (expected: string, found: string): Error =>
    badInput(where, expected, `${found} at byte ${pos}`);
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      throw badInput(where, `${n} more bytes of pickle`, `the end of the data at byte ${pos}`);
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) {
      throw badInput(where, 'a length inside the pickle', `${v} bytes at byte ${pos - 8}`);
    }
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const text = (n: number): string => Buffer.from(take(n)).toString('utf8');
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail('a newline-terminated argument', 'the end of the data');
    const s = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw fail('a value on the pickle stack', 'an empty stack');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail('a value on the pickle stack', 'an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) throw fail('a MARK before this opcode', 'none');
    stack = previous;
    return items;
  };
  const global = (written: string, name: string): unknown => {
    // Protocol 2 writes Python 3's builtins as Python 2 named them, as pickle's loader reads them.
    const module = written === '__builtin__' ? 'builtins' : written;
    const value = hooks.resolve(module, name);
    if (value === undefined) throw refusedGlobal(where, module, name);
    return value;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (typeof fn !== 'function') throw fail('a callable before REDUCE', describe(fn));
    if (!Array.isArray(args)) throw fail('an argument tuple for REDUCE', describe(args));
    return (fn as PickleCallable)(args);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) throw fail('a dict to set items in', describe(target));
    if (items.length % 2) throw fail('key-value pairs', `${items.length} items`);
    for (let i = 0; i < items.length; i += 2) target.set(key(items[i]), items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) throw fail('a list to append to', describe(target));
    for (const v of items) target.push(v);
  };
  const int = (s: string): unknown => {
    const t = s.trim().replace(/L$/, '');
    if (!/^[-+]?\d+$/.test(t)) throw fail('an integer', JSON.stringify(s.slice(0, 20)));
    return small(BigInt(t));
  };
  const long = (n: number): unknown => {
    if (n > MAX_LONG_BYTES) throw fail(`an integer of at most ${MAX_LONG_BYTES} bytes`, `${n}`);
    const b = take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return small(v);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('pickle protocol 0 to 5', `protocol ${bytes[pos - 1]}`);
        break;
      case 0x95: // FRAME: a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: {
        // INT (protocol 0; "00"/"01" are False/True)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : int(s));
        break;
      }
      case 0x4c: // LONG
        stack.push(int(line()));
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(long(u32()));
        break;
      case 0x46: {
        // FLOAT
        const v = Number(line());
        if (Number.isNaN(v)) throw fail('a float', 'unreadable text');
        stack.push(v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text; plain text only)
        stack.push(line());
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(Buffer.from(take(u32())).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(take(u8())).toString('latin1'));
        break;
      case 0x53: {
        // STRING: a quoted literal, escapes not interpreted
        const s = line();
        const m = /^(['"])(.*)\1$/.exec(s);
        if (!m || m[2].includes('\\')) throw fail('a plain quoted string', 'an escaped one');
        stack.push(m[2]);
        break;
      }
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST (popMark first: it replaces `stack`)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const target = top();
        if (!(target instanceof Set)) throw fail('a set to add items to', describe(target));
        for (const v of items) target.add(v);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x70: // PUT
        memo.set(Number(int(line())), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x67 ? Number(int(line())) : op === 0x68 ? u8() : u32();
        if (!memo.has(i)) throw fail('a memo entry', `none at index ${i}`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw fail('a module and a name for STACK_GLOBAL', 'other values');
        }
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), for the allowed classes the same as calling them
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (kwargs instanceof Map && kwargs.size) throw fail('NEWOBJ_EX without kwargs', 'kwargs');
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (!hooks.build?.(target, state)) {
          throw fail('state only for tensors and OrderedDicts (BUILD)', describe(target));
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) throw fail('no persistent ids', 'one');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x50: {
        // PERSID
        const pid = line();
        if (!hooks.persistentLoad) throw fail('no persistent ids', 'one');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      default: {
        pos = at;
        const name = REFUSED_OPS[op];
        throw fail(
          'a pickle opcode PyTorch weights_only loading accepts',
          name ? `opcode ${name}` : `opcode 0x${op.toString(16).padStart(2, '0')}`,
        );
      }
    }
  }
}

/** A dict key: strings and numbers as they are; anything else by a short description. */
function key(k: unknown): unknown {
  return typeof k === 'bigint' ? k.toString() : k;
}

function small(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** A pickle value as a message names it. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `a sequence of ${v.length}`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof Set) return 'a set';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}
