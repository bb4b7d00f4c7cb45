#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Copyright (C) 2026 The vision authors
"""Train the project's two Fashion-MNIST models and export them to ONNX.

The models are the real-world test inputs of vision-compile: a small CNN
(``fmnist_cnn``) and a MobileNet-style network with depthwise convolutions,
hard-swish and residual adds (``fmnist_mobilenet``).  Both are trained
deterministically on the CPU from Debian's ``dataset-fashion-mnist`` with
Debian's ``python3-torch``; the resulting ONNX files are committed, so CI
never runs this script.

Input of both models: a float32 tensor ``input`` of shape [1, 1, 28, 28]
(NCHW) holding the raw IDX pixels divided by 255 (0.0 = black background,
1.0 = white), with no mean/std normalisation.  Output: ``logits`` [1, 10],
not soft-maxed, in the Fashion-MNIST class order.

Written to OUT: NAME.onnx, NAME.ref.json (PyTorch logits of the first 16
test images, for cross-checks) and metrics.json (accuracies and how the
models were made).

Usage: python3 scripts/train-fmnist.py --out models/
"""

import argparse
import gzip
import hashlib
import json
import os
import struct
import sys
import time
import warnings

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
OPSET = 13
N_REF = 16

# IDX type byte -> numpy big-endian dtype (only the types the format defines).
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0b: ">i2", 0x0c: ">i4",
             0x0d: ">f4", 0x0e: ">f8"}


def read_idx(path):
    """Return the array stored in a (gzip-compressed) IDX file."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype not in IDX_TYPES or ndim == 0:
        raise ValueError(f"{path}: not an IDX file")
    hdr = 4 + 4 * ndim
    if len(data) < hdr:
        raise ValueError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:hdr])
    dt = np.dtype(IDX_TYPES[dtype])
    want = int(np.prod(dims)) * dt.itemsize
    if len(data) - hdr != want:
        raise ValueError(f"{path}: {len(data) - hdr} data bytes, "
                         f"dimensions {dims} need {want}")
    return np.frombuffer(data, dt, offset=hdr).reshape(dims)


def load_split(data_dir, prefix):
    """Load one split as (float images [N,1,28,28] in [0,1], int64 labels)."""
    img = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    lab = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if img.shape[1:] != (28, 28) or img.shape[0] != lab.shape[0]:
        raise ValueError(f"{prefix}: unexpected shapes {img.shape} "
                         f"{lab.shape}")
    x = torch.from_numpy(img.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(lab.astype(np.int64))
    return x, y


def conv_bn(cin, cout, k, stride=1, groups=1, act=nn.ReLU):
    """Conv without bias (BatchNorm supplies it), BatchNorm, activation."""
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups,
                        bias=False),
              nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class FmnistCnn(nn.Module):
    """Three 3x3 convolutions with max-pooling and one linear layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 16, 3), nn.MaxPool2d(2),        # 16x14x14
            conv_bn(16, 32, 3), nn.MaxPool2d(2),       # 32x7x7
            nn.Conv2d(32, 64, 3, bias=False),          # 64x5x5, no padding
            nn.BatchNorm2d(64), nn.ReLU())
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(64 * 5 * 5, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class InvertedResidual(nn.Module):
    """MobileNetV2/V3 block: 1x1 expand, 3x3 depthwise, 1x1 linear project.

    The input is added back when the block keeps shape (stride 1, same
    width).
    """

    def __init__(self, cin, hidden, cout, stride):
        super().__init__()
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            conv_bn(cin, hidden, 1, act=nn.Hardswish),
            conv_bn(hidden, hidden, 3, stride, groups=hidden,
                    act=nn.Hardswish),
            conv_bn(hidden, cout, 1, act=None))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class FmnistMobileNet(nn.Module):
    """MobileNetV3-style network sized for 28x28 inputs."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 16, 3, act=nn.Hardswish),       # 16x28x28
            InvertedResidual(16, 48, 24, 2),           # 24x14x14
            InvertedResidual(24, 72, 24, 1),
            InvertedResidual(24, 96, 40, 2),           # 40x7x7
            InvertedResidual(40, 120, 40, 1),
            InvertedResidual(40, 120, 40, 1),
            conv_bn(40, 160, 1, act=nn.Hardswish))
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
            nn.Linear(160, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


# Per-model recipe.  Epoch counts were picked so that both models together
# train in about 20 minutes on two cores.
MODELS = {
    "fmnist_cnn": {"cls": FmnistCnn, "epochs": 15, "lr": 3e-3},
    "fmnist_mobilenet": {"cls": FmnistMobileNet, "epochs": 12, "lr": 3e-3},
}


def augment(x, gen):
    """Mirror each image left-right with probability 1/2.

    Garments stay garments when mirrored, so this is free extra data.
    Random shifts of up to 2 pixels were tried too and cost a point at
    these short schedules (the models underfit rather than overfit).
    """
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def train(model, x, y, epochs, lr, batch, gen, log):
    """Train with AdamW and a one-cycle schedule; returns seconds taken."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = (x.shape[0] + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps)
    t0 = time.monotonic()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        total = 0.0
        for i in range(steps):
            idx = perm[i * batch:(i + 1) * batch]
            xb = augment(x[idx], gen)
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
        log(f"  epoch {epoch + 1}/{epochs}: loss "
            f"{total / x.shape[0]:.4f} ({time.monotonic() - t0:.0f} s)")
    return time.monotonic() - t0


@torch.no_grad()
def predict(model, x, batch=1000):
    """Logits of an eval-mode model for every image in x."""
    model.eval()
    return torch.cat([model(x[i:i + batch])
                      for i in range(0, x.shape[0], batch)])


def export_onnx(model, path):
    """Export with batch fixed at 1; BatchNorm stays as its own node.

    TrainingMode.PRESERVE on an eval-mode model keeps BatchNormalization
    (inference form) instead of letting torch fold it into the Conv, so
    the compiler's own BN folding is exercised by real files.
    """
    model.eval()
    with warnings.catch_warnings():
        # The warning is about models in training mode; ours is in eval.
        warnings.filterwarnings("ignore", "It is recommended that constant "
                                "folding be turned off")
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path,
                          opset_version=OPSET, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=["input"], output_names=["logits"])


def write_json(path, obj):
    """Write obj as indented JSON with a trailing newline."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def sha256(path):
    """Hex SHA-256 of a file, recorded so a re-run can be compared."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def parse_args():
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--data", default=DATA_DIR,
                   help=f"Fashion-MNIST IDX directory (default {DATA_DIR})")
    p.add_argument("--model", choices=sorted(MODELS), action="append",
                   help="train only this model (repeatable)")
    p.add_argument("--epochs", type=int,
                   help="override every model's epoch count")
    p.add_argument("--seed", type=int, default=6,
                   help="random seed (default 6)")
    p.add_argument("--threads", type=int, default=2,
                   help="CPU threads; results depend on it (default 2)")
    p.add_argument("--batch", type=int, default=128,
                   help="training batch size (default 128)")
    return p.parse_args()


def main():
    """Train, evaluate, export and record each selected model."""
    args = parse_args()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    log(f"data: {x_train.shape[0]} train, {x_test.shape[0]} test images")

    metrics_path = os.path.join(args.out, "metrics.json")
    metrics = {}
    if os.path.exists(metrics_path):
        with open(metrics_path, encoding="utf-8") as f:
            metrics = json.load(f)
    metrics["common"] = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "seed": args.seed,
        "threads": args.threads,
        "batch": args.batch,
        "onnx_opset": OPSET,
        "input": "float32 [1,1,28,28] NCHW, pixel/255, no mean/std",
        "classes": CLASSES,
    }
    metrics.setdefault("models", {})

    for name in args.model or list(MODELS):
        spec = MODELS[name]
        epochs = args.epochs or spec["epochs"]
        # Seed per model so each model is reproducible on its own.
        torch.manual_seed(args.seed)
        gen = torch.Generator().manual_seed(args.seed)
        model = spec["cls"]()
        params = sum(p.numel() for p in model.parameters())
        log(f"{name}: {params} parameters, {epochs} epochs")
        secs = train(model, x_train, y_train, epochs, spec["lr"],
                     args.batch, gen, log)

        logits = predict(model, x_test)
        correct = int((logits.argmax(1) == y_test).sum())
        top1 = 100.0 * correct / x_test.shape[0]
        log(f"{name}: float top-1 {top1:.2f}% ({correct}/"
            f"{x_test.shape[0]}), trained in {secs:.0f} s")

        onnx_path = os.path.join(args.out, f"{name}.onnx")
        export_onnx(model, onnx_path)
        ref = logits[:N_REF]
        write_json(os.path.join(args.out, f"{name}.ref.json"), {
            "model": f"{name}.onnx",
            "images": f"t10k-images-idx3-ubyte, first {N_REF}",
            "input": "pixel/255",
            "labels": y_test[:N_REF].tolist(),
            "predicted": ref.argmax(1).tolist(),
            "logits": [[float(v) for v in row] for row in ref.numpy()],
        })
        metrics["models"][name] = {
            "float_top1_pct": round(top1, 2),
            "correct": correct,
            "test_images": x_test.shape[0],
            "epochs": epochs,
            "lr_max": spec["lr"],
            "parameters": params,
            "train_seconds": round(secs, 1),
            "onnx_bytes": os.path.getsize(onnx_path),
            "onnx_sha256": sha256(onnx_path),
        }
        write_json(metrics_path, metrics)


if __name__ == "__main__":
    main()
