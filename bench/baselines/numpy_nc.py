#!/usr/bin/env python3
"""A lean numpy (BLAS) two-pass Neural Collapse pipeline: the baseline of `npm run bench -- engine`.

Same definitions as ../../shared/docs/nc-metrics.md (NC1 = Tr(Sigma_W Sigma_B^+)/C, class-means
centring, NCC = argmin_k ||h - mu_k||^2, classifier = argmax_k w_k.h + b_k), float64 throughout,
the features read from the .npy with np.load(mmap_mode='r') in chunks:

- pass 1: class counts (bincount) and per-class sums (sorted segment sums, np.add.reduceat);
- pass 2, C - 1 < D (the Gram route): the directions of Sigma_B from the eigendecomposition of
  G = M M^T (C x C), Q = M^T V L^-1 (D x r), and NC1 = (1/N) sum_i ||Q^T (h_i - mu_y_i)||^2;
  C - 1 >= D: Sigma_W accumulated as D x D and NC1 = Tr(Sigma_W Sigma_B^+)/C;
  each chunk is multiplied once by the stacked [Q | class means | classifier rows] (in class
  tiles when C is large), giving the projections and both predictions.

Prints one JSON line: nc1, ncc_accuracy, classifier_accuracy, route, rank, seconds.
"""
import argparse
import json
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402

T_IMPORT = time.perf_counter() - T0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--features", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--weight")
    p.add_argument("--bias")
    p.add_argument("--chunk", type=int, default=8192)
    p.add_argument("--tile", type=int, default=2048, help="classes per product tile")
    a = p.parse_args()
    t_start = time.perf_counter()

    X = np.load(a.features, mmap_mode="r")
    N, D = X.shape
    labels = np.load(a.labels)
    classes, y = np.unique(labels, return_inverse=True)
    C = len(classes)
    W = b = None
    if a.weight:
        W = np.asarray(np.load(a.weight), dtype=np.float64)
        if W.shape[1] != D and W.shape[0] == D:
            W = W.T  # D x C_W (Keras layout)
        W = W[classes]
        b = np.zeros(C) if not a.bias else np.asarray(np.load(a.bias), dtype=np.float64)[classes]

    # Pass 1: counts and class sums.
    t1 = time.perf_counter()
    counts = np.bincount(y, minlength=C).astype(np.float64)
    sums = np.zeros((C, D))
    for s in range(0, N, a.chunk):
        x = np.asarray(X[s : s + a.chunk], dtype=np.float64)
        yy = y[s : s + a.chunk]
        order = np.argsort(yy, kind="stable")
        ys = yy[order]
        starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
        sums[ys[starts]] += np.add.reduceat(x[order], starts, axis=0)
    means = sums / counts[:, None]
    Mt = means - means.mean(axis=0)
    pass1 = time.perf_counter() - t1

    # Directions of Sigma_B.
    t2 = time.perf_counter()
    gram = C - 1 < D
    if gram:
        lam, V = np.linalg.eigh(Mt @ Mt.T)
        keep = lam > 1e-10 * lam.max()
        Q = Mt.T @ (V[:, keep] / lam[keep])  # D x r
        QM = means @ Q  # C x r: the projections of the class means
        rank = int(keep.sum())
    else:
        lam, V = np.linalg.eigh(Mt.T @ Mt / C)
        keep = lam > 1e-10 * lam.max()
        SBpinv = (V[:, keep] / lam[keep]) @ V[:, keep].T
        SW = np.zeros((D, D))
        rank = int(keep.sum())
    eig = time.perf_counter() - t2

    # Pass 2: one product per chunk and class tile against [Q | means | W].
    t3 = time.perf_counter()
    tiles = []
    for k0 in range(0, C, a.tile):
        k1 = min(C, k0 + a.tile)
        parts = [means[k0:k1]] + ([W[k0:k1]] if W is not None else [])
        tiles.append((k0, k1, np.ascontiguousarray(np.concatenate(parts).T)))
    if gram and len(tiles) == 1:
        k0, k1, S = tiles[0]
        tiles[0] = (k0, k1, np.ascontiguousarray(np.concatenate([Q, S], axis=1)))
    mnorm2 = (means * means).sum(axis=1)
    acc = 0.0
    ncc_ok = 0
    cls_ok = 0
    for s in range(0, N, a.chunk):
        x = np.asarray(X[s : s + a.chunk], dtype=np.float64)
        yy = y[s : s + a.chunk]
        n = len(yy)
        best_d = np.full(n, np.inf)
        best_k = np.zeros(n, dtype=np.int64)
        best_s = np.full(n, -np.inf)
        best_j = np.zeros(n, dtype=np.int64)
        for ti, (k0, k1, S) in enumerate(tiles):
            P = x @ S
            off = 0
            if gram and len(tiles) == 1:
                z = P[:, :rank] - QM[yy]
                acc += np.einsum("ij,ij->", z, z)
                off = rank
            T = k1 - k0
            dist = mnorm2[k0:k1] - 2.0 * P[:, off : off + T]
            k = dist.argmin(axis=1)
            dk = dist[np.arange(n), k]
            better = dk < best_d
            best_d[better] = dk[better]
            best_k[better] = k[better] + k0
            if W is not None:
                sc = P[:, off + T : off + 2 * T] + b[k0:k1]
                j = sc.argmax(axis=1)
                sj = sc[np.arange(n), j]
                better = sj > best_s
                best_s[better] = sj[better]
                best_j[better] = j[better] + k0
        if gram and len(tiles) > 1:
            z = x @ Q - QM[yy]
            acc += np.einsum("ij,ij->", z, z)
        elif not gram:
            r = x - means[yy]
            SW += r.T @ r
        ncc_ok += int((best_k == yy).sum())
        cls_ok += int((best_j == yy).sum())
    nc1 = acc / N if gram else float((SW / N * SBpinv).sum()) / C
    pass2 = time.perf_counter() - t3

    print(
        json.dumps(
            {
                "tool": "numpy",
                "version": np.__version__,
                "n": N,
                "d": D,
                "c": C,
                "route": "gram" if gram else "sigma_w",
                "rank": rank,
                "nc1": nc1,
                "ncc_accuracy": ncc_ok / N,
                "classifier_accuracy": cls_ok / N if W is not None else None,
                "seconds": {
                    "import": T_IMPORT,
                    "pass1": pass1,
                    "eig": eig,
                    "pass2": pass2,
                    "compute": time.perf_counter() - t_start,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
