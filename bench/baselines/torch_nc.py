#!/usr/bin/env python3
"""A PyTorch (CPU) two-pass Neural Collapse pipeline: the accumulators a researcher would write.

The baseline of `npm run bench -- engine`. Definitions as ../../shared/docs/nc-metrics.md,
float64 accumulation, torch.set_num_threads(--threads, default 2), the .npy read in chunks
through np.load(mmap_mode='r'):

- pass 1: class counts and means (bincount, index_add_);
- pass 2: residuals h_i - mu_y_i; C - 1 < D: projected on the between-class directions
  (eigendecomposition of M M^T, C x C; the pseudo-inverse of Sigma_B on its range), NC1 from the
  squared projections; C - 1 >= D: Sigma_W accumulated as D x D (addmm_), NC1 =
  Tr(Sigma_W Sigma_B^+)/C;
- NCC predictions by distances (torch.cdist) and classifier predictions (x W^T + b), both in
  tiles of classes with a running argmin / argmax.

Prints one JSON line: nc1, ncc_accuracy, classifier_accuracy, route, rank, seconds.
"""
import argparse
import json
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402

T_IMPORT = time.perf_counter() - T0


def chunks(X, y, size):
    for s in range(0, X.shape[0], size):
        x = torch.from_numpy(np.array(X[s : s + size], dtype=np.float64))
        yield x, y[s : s + size]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--features", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--weight")
    p.add_argument("--bias")
    p.add_argument("--chunk", type=int, default=8192)
    p.add_argument("--tile", type=int, default=2048, help="classes per cdist / logits tile")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()

    X = np.load(a.features, mmap_mode="r")
    N, D = X.shape
    labels = torch.from_numpy(np.load(a.labels)).long()
    classes, y = torch.unique(labels, sorted=True, return_inverse=True)
    C = classes.numel()
    W = b = None
    if a.weight:
        W = torch.from_numpy(np.load(a.weight)).to(torch.float64)
        if W.shape[1] != D and W.shape[0] == D:
            W = W.T
        W = W[classes].contiguous()
        b = (
            torch.from_numpy(np.load(a.bias)).to(torch.float64)[classes]
            if a.bias
            else torch.zeros(C, dtype=torch.float64)
        )

    # Pass 1: class counts and means.
    t1 = time.perf_counter()
    counts = torch.bincount(y, minlength=C).to(torch.float64)
    sums = torch.zeros(C, D, dtype=torch.float64)
    for x, yy in chunks(X, y, a.chunk):
        sums.index_add_(0, yy, x)
    means = sums / counts[:, None]
    M = means - means.mean(dim=0)
    pass1 = time.perf_counter() - t1

    # Between-class directions.
    t2 = time.perf_counter()
    gram = C - 1 < D
    if gram:
        lam, V = torch.linalg.eigh(M @ M.T)
        keep = lam > 1e-10 * lam.max()
        # Sigma_B = U diag(lam/C) U^T with U = M^T V lam^-1/2; Q = U lam^-1/2.
        Q = M.T @ (V[:, keep] / lam[keep])
        rank = int(keep.sum())
    else:
        lam, V = torch.linalg.eigh(M.T @ M / C)
        keep = lam > 1e-10 * lam.max()
        SBpinv = (V[:, keep] / lam[keep]) @ V[:, keep].T
        SW = torch.zeros(D, D, dtype=torch.float64)
        rank = int(keep.sum())
    eig = time.perf_counter() - t2

    # Pass 2: within-class scatter on those directions, NCC and classifier predictions.
    t3 = time.perf_counter()
    acc = torch.zeros((), dtype=torch.float64)
    ncc_ok = 0
    cls_ok = 0
    for x, yy in chunks(X, y, a.chunk):
        r = x - means[yy]
        if gram:
            z = r @ Q
            acc += (z * z).sum()
        else:
            SW.addmm_(r.T, r)
        n = x.shape[0]
        best_d = torch.full((n,), float("inf"), dtype=torch.float64)
        best_k = torch.zeros(n, dtype=torch.long)
        best_s = torch.full((n,), float("-inf"), dtype=torch.float64)
        best_j = torch.zeros(n, dtype=torch.long)
        for k0 in range(0, C, a.tile):
            k1 = min(C, k0 + a.tile)
            dist = torch.cdist(x, means[k0:k1])
            dk, k = dist.min(dim=1)
            better = dk < best_d
            best_d = torch.where(better, dk, best_d)
            best_k = torch.where(better, k + k0, best_k)
            if W is not None:
                sj, j = torch.addmm(b[k0:k1], x, W[k0:k1].T).max(dim=1)
                better = sj > best_s
                best_s = torch.where(better, sj, best_s)
                best_j = torch.where(better, j + k0, best_j)
        ncc_ok += int((best_k == yy).sum())
        cls_ok += int((best_j == yy).sum())
    nc1 = float(acc) / N if gram else float((SW / N * SBpinv).sum()) / C
    pass2 = time.perf_counter() - t3

    print(
        json.dumps(
            {
                "tool": "torch",
                "version": torch.__version__,
                "threads": torch.get_num_threads(),
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
