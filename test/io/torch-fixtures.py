"""PyTorch fixtures for test/io/torch.test.ts, written into the folder given.

Each NAME.pt comes with NAME.npz holding the same arrays (by the names NC Lens gives them),
written by numpy: the reference the torch reader is compared to, value by value. bfloat16
has no numpy dtype; its reference is the float32 of the same values (exact).
"""
import os
import pickle
import sys

import numpy as np
import torch

out = sys.argv[1]
g = torch.Generator().manual_seed(15)


def ref(name, arrays):
    np.savez(os.path.join(out, name + ".npz"), **{
        k: (v.float() if v.dtype == torch.bfloat16 else v).numpy() for k, v in arrays.items()
    })


def save(name, obj, arrays, **kw):
    torch.save(obj, os.path.join(out, name + ".pt"), **kw)
    ref(name, arrays)


x = torch.randn(64, 8, generator=g)
y = torch.randint(0, 4, (64,), generator=g)
w = torch.randn(4, 8, generator=g)
b = torch.randn(4, generator=g)
bundle = {"features": x, "labels": y, "fc.weight": w, "fc.bias": b}
save("dict", bundle, bundle)

net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
sd = net.state_dict()
save("state_dict", sd, dict(sd))
np.savez(os.path.join(out, "features16.npz"), features=torch.randn(64, 16, generator=g).numpy(),
         labels=y.numpy())

big = torch.randn(300, 24, generator=g)
cube = torch.arange(2 * 3 * 40, dtype=torch.float64).reshape(2, 3, 40)
strided = {
    "transposed": big.t(),  # 24×300, column-major
    "offset": big[5:, 3:],  # storage offset, row stride 24
    "step": big[::3, ::2],  # steps in both dimensions
    "permuted": cube.permute(2, 0, 1)[:, :, ::2],  # 40×2×2, no order at all
    "sparse_rows": big.t()[:, ::7],  # column-major with a step
}
save("strided", strided, {k: v.contiguous() for k, v in strided.items()})

types = {
    "f64": torch.randn(10, 3, dtype=torch.float64, generator=g),
    "f32": torch.randn(10, 3, generator=g),
    "f16": torch.randn(10, 3, generator=g).half(),
    "bf16": torch.randn(10, 3, generator=g).bfloat16(),
    "i8": torch.randint(-2**40, 2**40, (10,), generator=g),
    "i32": torch.randint(-2**30, 2**30, (10,), dtype=torch.int32, generator=g),
    "i16": torch.randint(-30000, 30000, (10,), dtype=torch.int16, generator=g),
    "i8bit": torch.randint(-128, 128, (10,), dtype=torch.int8, generator=g),
    "u8": torch.randint(0, 256, (10,), dtype=torch.uint8, generator=g),
    "bool": torch.rand(10, generator=g) > 0.5,
    "scalar": torch.tensor(3.5),
}
save("dtypes", types, types)

save("legacy", bundle, bundle, _use_new_zipfile_serialization=False)
save("legacy_strided", {"t": big.t()}, {"t": big.t().contiguous()},
     _use_new_zipfile_serialization=False)

save("tuple", (x, y), {"0": x, "1": y})
nested = {"train": {"features": x, "labels": y}, "test": {"features": x[:16], "labels": y[:16]},
          "epoch": 12, "note": "not a tensor"}
save("nested", nested, {"train.features": x, "train.labels": y, "test.features": x[:16],
                        "test.labels": y[:16]})
save("parameter", {"w": torch.nn.Parameter(w)}, {"w": w})
save("bare", x, {"bare": x})
shared = {"features": x, "half": x[:32]}  # two tensors on one storage
save("shared", shared, {"features": x, "half": x[:32]})

sentinel = os.path.join(out, "SENTINEL")


class System:
    def __reduce__(self):
        return (os.system, ("touch " + sentinel,))


class Eval:
    def __reduce__(self):
        return (eval, ("open(%r, 'w').close()" % sentinel,))


torch.save({"features": x, "x": System()}, os.path.join(out, "hostile_system.pt"))
torch.save([Eval()], os.path.join(out, "hostile_eval.pth"))
torch.save(net, os.path.join(out, "module.pt"))
with open(os.path.join(out, "hostile_raw.bin"), "wb") as f:
    pickle.dump(System(), f, protocol=2)
