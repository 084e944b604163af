#!/usr/bin/python3
"""Train the fashion-lenet5 sample: a LeNet-5-style CNN on Fashion-MNIST (28x28 grey images, 10 classes).

Writes, next to this file: weights.h (C header for model.c), model.onnx (same network, uint8 input);
and into samples/src/main/resources/samples/fashion-lenet5/: test.jsonl.gz (the first 2000 images of t10k),
golden.jsonl (first 16 test samples with PyTorch's logits), training-report.json.

Data: Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), MIT licence.
Run with Debian's python: /usr/bin/python3 train.py  (python3-torch, python3-onnx, numpy). ~3 min on 2 cores.
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import wi_export  # noqa: E402

NAME = "fashion-lenet5"
DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
EPOCHS = 3
BATCH = 64
LR = 2e-3
SEED = 20261126
TEST_SAMPLES = 2000
# Input normalisation, done inside the model: x = u8 * SCALE + SHIFT == (u8/255 - MEAN) / STD.
# Both constants are float32, applied as one float32 multiply then one float32 add (same in model.c).
MEAN, STD = 0.2860, 0.3530
SCALE = float(np.float32(1.0 / (255.0 * STD)))
SHIFT = float(np.float32(-MEAN / STD))


def load_idx(kind):
    with gzip.open(os.path.join(DATA, "%s-images-idx3-ubyte.gz" % kind), "rb") as f:
        raw = f.read()
    assert int.from_bytes(raw[0:4], "big") == 2051
    n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h, w)
    with gzip.open(os.path.join(DATA, "%s-labels-idx1-ubyte.gz" % kind), "rb") as f:
        raw = f.read()
    assert int.from_bytes(raw[0:4], "big") == 2049
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    assert len(labels) == n
    return images, labels


class LeNet5(nn.Module):
    """conv 5x5 same (1->8) relu pool2 | conv 5x5 valid (8->16) relu pool2 | fc 400-120-84-10 (relu)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):  # x: float [N, 1, 28, 28], normalised
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)  # CHW order; model.c uses HWC and weights.h permutes fc1 to match
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Deployed(nn.Module):
    """What model.wasm computes: uint8 image [N, 28, 28] -> logits [N, 10]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        x = image.to(torch.float32).unsqueeze(1)
        x = x * SCALE
        x = x + SHIFT
        return self.net(x)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    train_x, train_y = load_idx("train")
    test_x_all, test_y_all = load_idx("t10k")
    test_x, test_y = test_x_all[:TEST_SAMPLES], test_y_all[:TEST_SAMPLES]

    net = LeNet5()
    model = Deployed(net)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = EPOCHS * ((len(train_y) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps)
    xt = torch.from_numpy(train_x.copy())
    yt = torch.from_numpy(train_y.astype(np.int64))
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
            sched.step()
            total += loss.item() * len(idx)
        print("epoch %d loss %.4f (%.0f s)" % (epoch + 1, total / len(yt), time.time() - t0), flush=True)
    seconds = time.time() - t0

    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(test_x.copy())).numpy().astype(np.float32)
        logits_all = model(torch.from_numpy(test_x_all.copy())).numpy()
    correct = int((logits.argmax(1) == test_y).sum())
    acc_all = float((logits_all.argmax(1) == test_y_all).mean())
    print("test accuracy: %d/%d = %.4f (full t10k %.4f)" % (correct, TEST_SAMPLES, correct / TEST_SAMPLES, acc_all))

    # weights.h, in the layouts model.c uses: conv weights HWIO [kh][kw][cin][cout], dense weights [in][out],
    # fc1's inputs reordered from PyTorch's CHW flatten (c*25 + y*5 + x) to HWC ((y*5 + x)*16 + c).
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    arrays = [
        ("conv1_w", sd["conv1.weight"].transpose(2, 3, 1, 0), "conv1 weights [5][5][1][8] (HWIO)"),
        ("conv1_b", sd["conv1.bias"], "conv1 bias [8]"),
        ("conv2_w", sd["conv2.weight"].transpose(2, 3, 1, 0), "conv2 weights [5][5][8][16] (HWIO)"),
        ("conv2_b", sd["conv2.bias"], "conv2 bias [16]"),
        ("fc1_w", sd["fc1.weight"].reshape(120, 16, 5, 5).transpose(2, 3, 1, 0).reshape(400, 120),
         "fc1 weights [400][120] ([in][out], input index (y*5+x)*16+c)"),
        ("fc1_b", sd["fc1.bias"], "fc1 bias [120]"),
        ("fc2_w", sd["fc2.weight"].T, "fc2 weights [120][84] ([in][out])"),
        ("fc2_b", sd["fc2.bias"], "fc2 bias [84]"),
        ("fc3_w", sd["fc3.weight"].T, "fc3 weights [84][10] ([in][out])"),
        ("fc3_b", sd["fc3.bias"], "fc3 bias [10]"),
    ]
    wi_export.write_weights_h(
        os.path.join(HERE, "weights.h"), "FASHION_LENET5_WEIGHTS_H",
        "fashion-lenet5: LeNet-5-style CNN trained on Fashion-MNIST by train.py (seed %d, %d epochs)" % (SEED, EPOCHS),
        arrays,
        scalars=[("IN_SCALE", SCALE, "input normalisation x = u8 * IN_SCALE + IN_SHIFT: 1/(255*%g)" % STD),
                 ("IN_SHIFT", SHIFT, "-%g/%g" % (MEAN, STD))])

    torch.onnx.export(model, torch.from_numpy(test_x[:2].copy()), os.path.join(HERE, "model.onnx"),
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(os.path.join(HERE, "model.onnx")))
    except ImportError:
        pass

    res = wi_export.resources_dir(HERE, NAME)
    wi_export.write_test_set(os.path.join(res, "test.jsonl.gz"), NAME, test_x, test_y, [28, 28], "u8")
    wi_export.write_golden(os.path.join(res, "golden.jsonl"), NAME, "image", "logits", test_x, logits,
                           [28, 28], "u8")
    wi_export.write_report(os.path.join(res, "training-report.json"), {
        "model": NAME,
        "framework": "torch %s" % torch.__version__,
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist, MIT)",
        "test_set": "first %d images of t10k" % TEST_SAMPLES,
        "test_samples": TEST_SAMPLES,
        "framework_correct": correct,
        "framework_accuracy": round(correct / TEST_SAMPLES, 4),
        "full_t10k_accuracy": round(acc_all, 4),
        "train_samples": int(len(train_y)),
        "epochs": EPOCHS,
        "batch_size": BATCH,
        "seed": SEED,
        "seconds": round(seconds, 1),
    })
    print("wrote", HERE, res)


if __name__ == "__main__":
    main()
