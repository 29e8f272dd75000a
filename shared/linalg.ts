/**
 * Small dense float64 linear algebra for C×C and D×D matrices (row-major Float64Array).
 * The eigensolver is the Householder tridiagonalisation + implicit QL of EISPACK tred2/tql2
 * (as in JAMA): O(n³) with a small constant, accurate to round-off for symmetric input. It is
 * the one eigensolver: the engine (NC1, NC2 spectra) and shared/geometry.ts (PCA, Procrustes)
 * both call it. Pure code, no Node or DOM.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as columns: vectors[i * n + j] is component i of eigenvector j. */
  vectors: Float64Array;
}

export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const v: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(n);
    // Symmetrise: callers accumulate only what they need; round-off must not break tred2.
    for (let j = 0; j < n; j++) row[j] = 0.5 * (a[i * n + j] + a[j * n + i]);
    v.push(row);
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // Both steps work on z = vᵀ (the input is symmetric): QL rotates pairs of its rows.
  const z = v;
  if (n > 0) {
    tridiagonalise(z, d, e, n);
    diagonalise(z, d, e, n);
  }
  const order = Array.from(d.keys()).sort((x, y) => d[x] - d[y]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, j) => {
    values[j] = d[src];
    for (let i = 0; i < n; i++) vectors[i * n + j] = z[src][i];
  });
  return { values, vectors };
}

/**
 * tred2: Householder reduction to tridiagonal form, accumulating the transformations in v,
 * written on w = vᵀ so that every inner loop runs along a row (w[j][k] for v[k][j]).
 */
function tridiagonalise(w: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = w[j][n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = w[j][i - 1];
        w[j][i] = 0;
        w[i][j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        w[i][j] = f;
        g = e[j] + w[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += w[j][k] * d[k];
          e[k] += w[j][k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) w[j][k] -= f * e[k] + g * d[k];
        d[j] = w[j][i - 1];
        w[j][i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    w[i][n - 1] = w[i][i];
    w[i][i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[i + 1][k] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[i + 1][k] * w[j][k];
        for (let k = 0; k <= i; k++) w[j][k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) w[i + 1][k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j][n - 1];
    w[j][n - 1] = 0;
  }
  w[n - 1][n - 1] = 1;
  e[0] = 0;
}

/** tql2: implicit QL iterations on the tridiagonal (d, e), rotating z = vᵀ along. */
function diagonalise(z: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      for (let iter = 0; iter < 100; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          rotate(z[i], z[i + 1], c, s, n);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (Math.abs(e[l]) <= eps * tst1) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** The QL step's Givens rotation of two eigenvector rows, (a, b) ← (c·a − s·b, s·a + c·b). */
function rotate(a: Float64Array, b: Float64Array, c: number, s: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const h = b[k];
    b[k] = s * a[k] + c * h;
    a[k] = c * a[k] - s * h;
  }
}

/** ‖row‖ of each row of a row-major rows×cols matrix. */
export function rowNorms(v: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += v[i * cols + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Rows·rowsᵀ of a row-major r×c matrix: the Gram matrix of its rows. */
export function gram(rows: Float64Array, r: number, c: number): Float64Array {
  const g = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = i; j < r; j++) {
      const acc = dot(rows, i * c, rows, j * c, c);
      g[i * r + j] = acc;
      g[j * r + i] = acc;
    }
  }
  return g;
}

/** Mᵀ M of a row-major r×c matrix (c×c). */
export function crossProduct(m: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(c * c);
  for (let k = 0; k < r; k++) {
    const o = k * c;
    for (let i = 0; i < c; i++) {
      const mi = m[o + i];
      if (mi === 0) continue;
      for (let j = i; j < c; j++) out[i * c + j] += mi * m[o + j];
    }
  }
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) out[j * c + i] = out[i * c + j];
  return out;
}

/**
 * Inner loops live in these small functions on purpose: V8 optimises a function once it is
 * hot, and a C×C loop around them makes them hot at once (inline loops in a function that
 * runs once stay in the interpreter for a long while).
 */
export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/** ‖a[ao..] − b[bo..]‖² over n entries. */
export function squaredDistance(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  n: number,
): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = a[ao + i] - b[bo + i];
    s += x * x;
  }
  return s;
}
