"""Write the dumps NC Lens reads, from a training loop.

    import nc_lens
    nc_lens.dump("run/epoch_0012.npz", features=H, labels=y, weight=W, bias=b)

`dump` needs only numpy; `nc_lens.pytorch.dump_epoch` collects the features of a PyTorch model
(a forward hook on its classifier) and writes one dump per epoch plus `run.json`.
"""
import json
import os
import tempfile
import time

import numpy as np

__all__ = ["dump", "update_run", "RUN_FILE"]
__version__ = "0.1.0"

#: The run description NC Lens reads beside the dumps (model, dataset, per-epoch log).
RUN_FILE = "run.json"


def _array(value, name):
    """numpy array from a numpy array, a list, or a torch tensor (detached, on the CPU)."""
    if value is None:
        return None
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    a = np.asarray(value)
    if a.dtype == object:
        raise TypeError("nc_lens.dump: %s is not numeric (dtype object)" % name)
    return a


def _labels(value, name, n):
    y = _array(value, name)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError("nc_lens.dump: %s must hold %d class indices, one per row of the features; "
                         "got shape %s" % (name, n, y.shape))
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("nc_lens.dump: %s must be integer class indices" % name)
    if y.size and y.min() < 0:
        raise ValueError("nc_lens.dump: %s must be class indices >= 0; found %d" % (name, y.min()))
    return y.astype(np.int64)


def _features(value, name):
    h = _array(value, name)
    if h.ndim < 2 or h.shape[0] == 0:
        raise ValueError("nc_lens.dump: %s must be N x D (one row per sample); got shape %s"
                         % (name, h.shape))
    return h.reshape(h.shape[0], -1).astype(np.float32)


def _atomic_write(path, write):
    """Writes through `write(fileobj)` to a hidden temp name beside `path`, then renames."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def dump(path, features, labels, weight=None, bias=None, logits=None,
         test_features=None, test_labels=None, test_logits=None):
    """Writes the .npz NC Lens reads: float32 features (N x D), int64 labels (N,), and when
    given the classifier weight (C x D) and bias (C,), logits (N x C) and a test split.
    The file appears whole (written to a temporary name, then renamed), so a viewer
    following the folder never sees half of it. Returns `path`."""
    h = _features(features, "features")
    n, d = h.shape
    arrays = {"features": h, "labels": _labels(labels, "labels", n)}
    c = None
    if weight is not None:
        w = _array(weight, "weight").astype(np.float32)
        if w.ndim != 2 or w.shape[1] != d:
            raise ValueError("nc_lens.dump: weight must be C x %d (PyTorch's nn.Linear layout); "
                             "got shape %s" % (d, w.shape))
        c = w.shape[0]
        arrays["weight"] = w
    if bias is not None:
        b = _array(bias, "bias").astype(np.float32).reshape(-1)
        if c is not None and b.shape[0] != c:
            raise ValueError("nc_lens.dump: bias must hold %d values (one per class); got %d"
                             % (c, b.shape[0]))
        arrays["bias"] = b
    if logits is not None:
        z = _array(logits, "logits").astype(np.float32)
        if z.ndim != 2 or z.shape[0] != n or (c is not None and z.shape[1] != c):
            raise ValueError("nc_lens.dump: logits must be %d x C; got shape %s" % (n, z.shape))
        arrays["logits"] = z
    if (test_features is None) != (test_labels is None):
        raise ValueError("nc_lens.dump: give test_features and test_labels together")
    if test_features is not None:
        ht = _features(test_features, "test_features")
        if ht.shape[1] != d:
            raise ValueError("nc_lens.dump: test_features must be M x %d like the features; got %s"
                             % (d, ht.shape))
        arrays["test_features"] = ht
        arrays["test_labels"] = _labels(test_labels, "test_labels", ht.shape[0])
        if test_logits is not None:
            arrays["test_logits"] = _array(test_logits, "test_logits").astype(np.float32)
    if not str(path).endswith(".npz"):
        raise ValueError("nc_lens.dump: the path must end in .npz; got %r" % (path,))
    return _atomic_write(str(path), lambda f: np.savez(f, **arrays))


def update_run(run_dir, epoch=None, file=None, **fields):
    """Adds one epoch's entry (`epoch`, `file`, and fields such as step, train_acc,
    train_loss) to `run_dir/run.json`, and sets its run-level fields (model, dataset) when
    given; written atomically. Each entry gets `wall_time`, seconds since the run's first
    update. Returns the run description."""
    path = os.path.join(run_dir, RUN_FILE)
    run = {"format": "nc-lens/run@1", "started": time.time(), "epochs": []}
    if os.path.exists(path):
        with open(path, "r", encoding="utf-8") as f:
            run = json.load(f)
    for key in ("model", "dataset"):
        if fields.get(key) is not None:
            run[key] = fields.pop(key)
        fields.pop(key, None)
    if epoch is not None:
        entry = {"epoch": epoch}
        if file is not None:
            entry["file"] = file
        entry.update({k: v for k, v in fields.items() if v is not None})
        if "started" in run and "wall_time" not in entry:
            entry["wall_time"] = round(time.time() - run["started"], 3)
        run["epochs"] = [e for e in run.get("epochs", []) if e.get("epoch") != epoch] + [entry]
        run["epochs"].sort(key=lambda e: e.get("epoch", 0))
        run.update(entry)  # the latest epoch's values at the top level too
        run.pop("file", None)
    text = json.dumps(run, indent=1, sort_keys=False).encode("utf-8")
    _atomic_write(path, lambda f: f.write(text))
    return run
