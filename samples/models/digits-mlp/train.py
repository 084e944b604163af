#!/usr/bin/python3
"""Train the digits-mlp sample: an MLP 64-128-10 (ReLU) on scikit-learn's 8x8 digits (1797 images, values 0..16).

Writes, next to this file: weights.h (C header for model.c), model.onnx (same network, float input [N, 64]);
and into samples/src/main/resources/samples/digits-mlp/: test.jsonl.gz (the 360 held-out samples of
train_test_split(test_size=0.2, random_state=0)), golden.jsonl (first 16 with PyTorch's logits),
training-report.json.

Data: sklearn.datasets.load_digits() (UCI optical recognition of handwritten digits, shipped with scikit-learn,
BSD-3-Clause). Run with Debian's python: /usr/bin/python3 train.py. A few seconds.
"""
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import wi_export  # noqa: E402

NAME = "digits-mlp"
EPOCHS = 60
BATCH = 32
LR = 1e-3
SEED = 20261126
IN_SCALE = 0.0625  # pixels 0..16 -> 0..1, done inside the model (exact: a power of two)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, pixels):  # float [N, 64], raw 0..16
        x = pixels * IN_SCALE
        return self.fc2(F.relu(self.fc1(x)))


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    digits = load_digits()
    x = digits.data.astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)

    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(yt), generator=gen)
        total = 0.0
        for i in range(0, len(yt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if (epoch + 1) % 10 == 0:
            print("epoch %d loss %.4f" % (epoch + 1, total / len(yt)), flush=True)
    seconds = time.time() - t0

    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x_test)).numpy().astype(np.float32)
    correct = int((logits.argmax(1) == y_test).sum())
    n_test = len(y_test)
    print("test accuracy: %d/%d = %.4f" % (correct, n_test, correct / n_test))

    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    wi_export.write_weights_h(
        os.path.join(HERE, "weights.h"), "DIGITS_MLP_WEIGHTS_H",
        "digits-mlp: MLP 64-128-10 trained on sklearn digits by train.py (seed %d, %d epochs)" % (SEED, EPOCHS),
        [("fc1_w", sd["fc1.weight"].T, "fc1 weights [64][128] ([in][out])"),
         ("fc1_b", sd["fc1.bias"], "fc1 bias [128]"),
         ("fc2_w", sd["fc2.weight"].T, "fc2 weights [128][10] ([in][out])"),
         ("fc2_b", sd["fc2.bias"], "fc2 bias [10]")],
        scalars=[("IN_SCALE", IN_SCALE, "input normalisation x = pixels * IN_SCALE (0..16 -> 0..1)")])

    torch.onnx.export(model, torch.from_numpy(x_test[:2]), os.path.join(HERE, "model.onnx"),
                      input_names=["pixels"], output_names=["logits"],
                      dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(os.path.join(HERE, "model.onnx")))
    except ImportError:
        pass

    res = wi_export.resources_dir(HERE, NAME)
    wi_export.write_test_set(os.path.join(res, "test.jsonl.gz"), NAME, x_test, y_test, [64], "f32")
    wi_export.write_golden(os.path.join(res, "golden.jsonl"), NAME, "pixels", "logits", x_test, logits, [64], "f32")
    wi_export.write_report(os.path.join(res, "training-report.json"), {
        "model": NAME,
        "framework": "torch %s" % torch.__version__,
        "dataset": "scikit-learn digits (UCI optical recognition of handwritten digits), BSD-3-Clause",
        "test_set": "train_test_split(test_size=0.2, random_state=0), test part",
        "test_samples": n_test,
        "framework_correct": correct,
        "framework_accuracy": round(correct / n_test, 4),
        "train_samples": int(len(y_train)),
        "epochs": EPOCHS,
        "batch_size": BATCH,
        "seed": SEED,
        "seconds": round(seconds, 1),
    })
    print("wrote", HERE, res)


if __name__ == "__main__":
    main()
