// Draws build/icon.png (512×512), the icon electron-builder gives the .deb's desktop entry and
// the other installers: the simplex ETF of three classes, three class means at 120° around
// the global mean. Run `node scripts/make-icon.js` after changing it; the PNG is committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 512;
const px = new Float64Array(S * S * 4);
const colours = [
  [0.31, 0.56, 0.98],
  [0.98, 0.55, 0.24],
  [0.33, 0.78, 0.45],
];
const centre = [S / 2, S / 2 + 16];
const tips = [0, 1, 2].map((k) => {
  const a = -Math.PI / 2 + (2 * Math.PI * k) / 3;
  return [centre[0] + 170 * Math.cos(a), centre[1] + 170 * Math.sin(a)];
});

/** Distance from p to the segment ab. */
function segment(p, a, b) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.max(
    0,
    Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)),
  );
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    const p = [x + 0.5, y + 0.5];
    // A rounded square, dark like the app's theme.
    const q = [
      Math.max(Math.abs(p[0] - S / 2) - 200, 0),
      Math.max(Math.abs(p[1] - S / 2) - 200, 0),
    ];
    const inside = Math.min(1, Math.max(0, 48 - Math.hypot(q[0], q[1]) + 0.5));
    let rgb = [0.09, 0.11, 0.16];
    for (const [k, t] of tips.entries()) {
      const line = Math.min(1, Math.max(0, 7 - segment(p, centre, t)));
      rgb = rgb.map((c, i) => c + (0.55 * colours[k][i] - c) * line);
    }
    for (const [k, t] of tips.entries()) {
      const dot = Math.min(1, Math.max(0, 46 - Math.hypot(p[0] - t[0], p[1] - t[1])));
      rgb = rgb.map((c, i) => c + (colours[k][i] - c) * dot);
    }
    const hub = Math.min(1, Math.max(0, 16 - Math.hypot(p[0] - centre[0], p[1] - centre[1])));
    rgb = rgb.map((c) => c + (0.92 - c) * hub);
    px.set([...rgb, inside], (y * S + x) * 4);
  }
}

const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let i = 0; i < S * 4; i++)
    raw[y * (S * 4 + 1) + 1 + i] = Math.round(255 * px[y * S * 4 + i]);
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc(body), body.length + 4);
  return out;
};
const header = Buffer.alloc(13);
header.writeUInt32BE(S, 0);
header.writeUInt32BE(S, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const root = new URL('..', import.meta.url).pathname;
mkdirSync(`${root}build`, { recursive: true });
writeFileSync(`${root}build/icon.png`, png);
console.log(`wrote build/icon.png (${png.length} bytes)`);
