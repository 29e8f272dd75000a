"""PyTorch helpers: collect a model's penultimate features, labels and logits over a loader,
and write one NC Lens dump per epoch.

    import nc_lens.pytorch as ncl
    for epoch in range(1, epochs + 1):
        train_one_epoch(model, loader)
        ncl.dump_epoch("runs/mlp", model, loader, epoch=epoch)

The features are the input of the model's final `nn.Linear` (the classifier), captured by a
forward hook, so any architecture whose last layer is a Linear works as it is; pass
`penultimate=module` to hook another module's output instead.
"""
import os

import numpy as np
import torch

from . import dump, update_run

__all__ = ["collect", "dump_epoch", "final_linear"]


def final_linear(model):
    """The model's last `nn.Linear` (in registration order): its classifier."""
    last = None
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            last = m
    if last is None:
        raise ValueError("nc_lens: the model has no nn.Linear classifier; pass classifier=")
    return last


def collect(model, loader, classifier=None, penultimate=None, device=None, max_batches=None):
    """Runs `loader` through `model` in eval mode without gradients; returns a dict of numpy
    arrays: features (N x D, float32), labels (N,), logits (N x C), weight (C x D), bias (C,).
    The model's training mode is restored afterwards."""
    classifier = classifier or final_linear(model)
    feats, labels, logits = [], [], []
    captured = {}

    def on_classifier(module, inputs, output):
        if penultimate is None:
            captured["h"] = inputs[0]
        captured["z"] = output

    def on_penultimate(module, inputs, output):
        captured["h"] = output

    hooks = [classifier.register_forward_hook(on_classifier)]
    if penultimate is not None:
        hooks.append(penultimate.register_forward_hook(on_penultimate))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i, batch in enumerate(loader):
                if max_batches is not None and i >= max_batches:
                    break
                x, y = batch[0], batch[1]
                if device is not None:
                    x = x.to(device)
                captured.clear()
                model(x)
                if "h" not in captured:
                    raise RuntimeError("nc_lens: the classifier did not run in model(x)")
                feats.append(captured["h"].detach().flatten(1).float().cpu().numpy())
                logits.append(captured["z"].detach().float().cpu().numpy())
                labels.append(np.asarray(y.cpu() if hasattr(y, "cpu") else y).reshape(-1))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    out = {
        "features": np.concatenate(feats),
        "labels": np.concatenate(labels).astype(np.int64),
        "logits": np.concatenate(logits),
        "weight": classifier.weight.detach().float().cpu().numpy(),
    }
    if classifier.bias is not None:
        out["bias"] = classifier.bias.detach().float().cpu().numpy()
    return out


def _accuracy_and_loss(logits, labels):
    z = logits.astype(np.float64)
    acc = float(np.mean(np.argmax(z, axis=1) == labels))
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-np.mean(logp[np.arange(len(labels)), labels]))
    return acc, loss


def dump_epoch(run_dir, model, loader, epoch, step=None, test_loader=None, model_name=None,
               dataset=None, train_acc=None, loss=None, classifier=None, penultimate=None,
               device=None, max_batches=None):
    """Writes `run_dir/epoch_{epoch:04d}.npz` (features, labels, logits, weight, bias of the
    model on `loader`, and the test split of `test_loader` when given) and adds the epoch to
    `run_dir/run.json` with its step, training accuracy and loss. The accuracy and the
    cross-entropy loss are computed from the collected logits unless given. Returns the
    dump's path."""
    got = collect(model, loader, classifier, penultimate, device, max_batches)
    kwargs = {}
    if test_loader is not None:
        t = collect(model, test_loader, classifier, penultimate, device, max_batches)
        kwargs = {"test_features": t["features"], "test_labels": t["labels"],
                  "test_logits": t["logits"]}
    name = "epoch_%04d.npz" % epoch
    path = dump(os.path.join(run_dir, name), features=got["features"], labels=got["labels"],
                weight=got["weight"], bias=got.get("bias"), logits=got["logits"], **kwargs)
    acc, ce = _accuracy_and_loss(got["logits"], got["labels"])
    update_run(run_dir, epoch=epoch, file=name, step=step,
               train_acc=float(train_acc) if train_acc is not None else acc,
               train_loss=float(loss) if loss is not None else ce,
               model=model_name or type(model).__name__, dataset=dataset)
    return path
