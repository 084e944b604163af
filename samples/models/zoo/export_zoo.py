#!/usr/bin/python3
"""Exports the model zoo: small PyTorch modules with seeded random weights, each a different mix of the ops the
ONNX compiler supports, written the way user models are (nn layers, x.view(x.size(0), -1), F.pad, slicing,
attention by hand...). Every model is exported like a user would export it:

    torch.onnx.export(model, example, path, opset_version=13, do_constant_folding=True,
                      input_names=[...], output_names=[...],
                      dynamic_axes={input: {0: 'batch'}, output: {0: 'batch'}})

into samples/models/zoo/<name>.onnx, plus MANIFEST.md (what each model covers, its inputs, outputs and ONNX ops).
compiler/src/test/java/io/wasminference/compiler/ZooModelsTest.java compiles each file and compares the wasm
module with ONNX Runtime.

Deterministic: one seed per model, weights drawn in construction order, BatchNorm statistics randomized, eval
mode, one thread. Needs Debian's python3-torch (1.13) and python3-onnx:

    /usr/bin/python3 samples/models/zoo/export_zoo.py            # every model
    /usr/bin/python3 samples/models/zoo/export_zoo.py attention  # some of them
"""
import collections
import math
import os
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13
MAX_BYTES = 200 * 1024

torch.set_num_threads(1)


def randomize_bn(module, gen):
    """BatchNorm layers with non-trivial running statistics and affine parameters (as after training)."""
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
        if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def conv_bn(cin, cout, k, stride=1, padding=0, groups=1, dilation=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding, dilation=dilation, groups=groups, bias=False),
                         nn.BatchNorm2d(cout))


# ---------------------------------------------------------------------------------------------- the models


class ConvGeometry(nn.Module):
    """Conv2d with stride, padding, dilation, rectangular kernels, an even kernel after F.pad (what padding='same'
    does; torch 1.13 cannot export padding='same' itself), a patchify conv (kernel = stride = 2)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, dilation=2, padding=2)
        self.c3 = nn.Conv2d(8, 12, (3, 1), padding=(1, 0))
        self.c4 = nn.Conv2d(12, 12, (1, 5), stride=(1, 2), padding=(0, 2))
        self.c5 = nn.Conv2d(12, 8, 4)
        self.c6 = nn.Conv2d(8, 6, 2, stride=2)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.relu6(self.c2(x))
        x = self.c3(x)
        x = torch.tanh(self.c4(x))
        x = self.c5(F.pad(x, (1, 2, 1, 2)))
        x = self.c6(x)
        return x.view(x.size(0), -1)


class ConvGroups(nn.Module):
    """Grouped convolutions, conv(bias=False)+BN, LeakyReLU, ShuffleNet's channel shuffle (5-D view/transpose)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 16, 3, padding=1, groups=2)
        self.c2 = conv_bn(16, 16, 3, stride=2, groups=4)
        self.c3 = nn.Conv2d(16, 32, 1, groups=8)
        self.head = nn.Linear(32, 10)

    @staticmethod
    def shuffle(x, groups):
        n, c, h, w = x.size()
        x = x.view(n, groups, c // groups, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(n, -1, h, w)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = self.shuffle(x, 4)
        x = F.leaky_relu(self.c2(x), 0.1)
        x = self.c3(x)
        x = x.mean([2, 3])
        return self.head(x)


class Depthwise(nn.Module):
    """Depthwise 3x3 and 5x5 (stride 2, dilation 2), depth multiplier 2 (groups = C, out = 2C), BN, ReLU6."""

    def __init__(self):
        super().__init__()
        self.dw1 = conv_bn(8, 8, 3, padding=1, groups=8)
        self.dw2 = conv_bn(8, 8, 5, stride=2, padding=2, groups=8)
        self.dw3 = nn.Conv2d(8, 16, 3, padding=1, groups=8)
        self.dw4 = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.pw = conv_bn(16, 12, 1)

    def forward(self, x):
        x = F.relu6(self.dw1(x))
        x = F.hardswish(self.dw2(x))
        x = F.relu(self.dw3(x))
        x = self.dw4(x)
        return self.pw(x)


class AsymmetricPad(nn.Module):
    """TensorFlow-style SAME padding by F.pad (0,1,0,1) before a stride-2 conv, nonzero constant pad, ZeroPad2d."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2)
        self.zp = nn.ZeroPad2d((2, 0, 1, 0))
        self.c2 = nn.Conv2d(8, 8, 3)
        self.c3 = nn.Conv2d(8, 4, 3, stride=2)

    def forward(self, x):
        x = F.relu(self.c1(F.pad(x, (0, 1, 0, 1))))
        x = F.relu(self.c2(self.zp(x)))
        x = self.c3(F.pad(x, (1, 2, 0, 3), value=0.5))
        return torch.flatten(x, 1)


class Conv1dNet(nn.Module):
    """Conv1d with padding, stride, groups; BatchNorm1d; MaxPool1d; AvgPool1d; mean over time; Linear."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 8, 5, padding=2)
        self.bn1 = nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 16, 3, stride=2, groups=2)
        self.c3 = nn.Conv1d(16, 16, 3, padding=2, dilation=2)
        self.fc = nn.Linear(16, 6)

    def forward(self, x):
        x = F.relu(self.bn1(self.c1(x)))
        x = F.max_pool1d(x, 2)
        x = torch.sigmoid(self.c2(x))
        x = F.avg_pool1d(x, 3, stride=1, padding=1)
        x = self.c3(x)
        return self.fc(x.mean(-1))


class BatchNormVariants(nn.Module):
    """BN on the input (before any conv), BN after ReLU (not foldable), Linear + BatchNorm1d, BN after
    Linear(bias=False)."""

    def __init__(self):
        super().__init__()
        self.bn_in = nn.BatchNorm2d(3)
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn_after_relu = nn.BatchNorm2d(8)
        self.fc1 = nn.Linear(8 * 4 * 4, 32)
        self.bn1 = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 16, bias=False)
        self.bn2 = nn.BatchNorm1d(16)
        self.fc3 = nn.Linear(16, 5)

    def forward(self, x):
        x = self.bn_in(x)
        x = self.bn_after_relu(F.relu(self.c1(x)))
        x = F.max_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.bn1(self.fc1(x)))
        x = self.bn2(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, stride, 1)
        self.b = conv_bn(cout, cout, 3, 1, 1)
        self.short = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        s = x if self.short is None else self.short(x)
        return F.relu(y + s)


class ResNetTiny(nn.Module):
    """ResNet basic blocks: identity and projection shortcuts, residual Add then ReLU, global pool, fc."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 8, 3, 1, 1)
        self.b1 = BasicBlock(8, 8, 1)
        self.b2 = BasicBlock(8, 16, 2)
        self.b3 = BasicBlock(16, 16, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.max_pool2d(x, 3, 2, 1)
        x = self.b3(self.b2(self.b1(x)))
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


class SqueezeExcite(nn.Module):
    """SE with AdaptiveAvgPool2d(1) + 1x1 convs + sigmoid; SE with mean + Linear + hardsigmoid + view(N, C, 1, 1)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.se1_reduce = nn.Conv2d(16, 4, 1)
        self.se1_expand = nn.Conv2d(4, 16, 1)
        self.c2 = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.se2_fc1 = nn.Linear(16, 8)
        self.se2_fc2 = nn.Linear(8, 16)

    def forward(self, x):
        x = F.relu(self.c1(x))
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.se1_expand(F.relu(self.se1_reduce(s))))
        x = x * s
        x = self.c2(x)
        n, c = x.size(0), x.size(1)
        s = x.mean((2, 3))
        s = F.hardsigmoid(self.se2_fc2(F.relu(self.se2_fc1(s))))
        x = x * s.view(n, c, 1, 1)
        return x


class Activations(nn.Module):
    """Every activation PyTorch exports with the supported ops, alone and right after a conv / linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.fc = nn.Linear(6 * 8 * 8, 24)

    def forward(self, x):
        y = F.hardswish(self.conv(x))
        y = F.leaky_relu(self.conv2(y), 0.2)
        h = self.fc(y.view(y.size(0), -1)) * 2.0
        parts = [
            F.hardswish(h), F.hardsigmoid(h), F.leaky_relu(h, 0.05), torch.tanh(h), torch.sigmoid(h),
            F.relu6(h), torch.clamp(h, -0.5, 0.7), torch.clamp(h, min=0.1), F.hardtanh(h, -2.0, 2.0),
            F.silu(h), F.relu(h), h.clamp(max=0.3),
        ]
        return torch.cat(parts, dim=1)


class Pooling(nn.Module):
    """MaxPool/AvgPool with ceil_mode, padding, count_include_pad on and off, adaptive pools; three outputs."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = self.conv(x)  # 4 x 13 x 13: odd sizes make ceil_mode matter
        a = F.max_pool2d(x, 2, 2, ceil_mode=True)  # 7 x 7 (6 x 6 without ceil_mode)
        b = F.max_pool2d(x, 3, 2, padding=1)
        c = F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=True)
        d = F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False)
        e = F.avg_pool2d(x, 2, ceil_mode=True)  # the last window holds one column / row
        e2 = F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=True)
        f = F.adaptive_max_pool2d(x, 1)
        g = F.max_pool2d(x, 2, stride=1)
        first = torch.cat([t.flatten(1) for t in (a, b, c, d, e, e2)], dim=1)
        return first, f.flatten(1), g.sum(dim=(2, 3))


class ReshapeChains(nn.Module):
    """view(x.size(0), -1), reshape with -1 and sizes, permute, transpose, flatten(2), division by x.size(-1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = self.conv(x)  # N x 8 x 8 x 8
        n = x.size(0)
        a = x.view(n, -1)
        b = x.reshape(n, 4, -1)
        b = b.permute(0, 2, 1)  # N x 128 x 4
        b = b.reshape(n, 16, 32).transpose(1, 2)  # N x 32 x 16
        b = self.fc(b)  # N x 32 x 4
        c = x.flatten(2).sum(-1) / x.size(-1)
        return torch.cat([a[:, :64], b.reshape(n, -1), c], dim=1)


class PermuteLinear(nn.Module):
    """ConvNeXt-style: depthwise conv, permute to channels-last, Linear on a 4-D tensor, permute back."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)
        self.pw1 = nn.Linear(8, 32)
        self.pw2 = nn.Linear(32, 8)
        self.gamma = nn.Parameter(torch.rand(8) * 0.5)

    def forward(self, x):
        y = self.dw(x)
        y = y.permute(0, 2, 3, 1)
        y = self.pw2(F.relu(self.pw1(y)))
        y = self.gamma * y
        y = y.permute(0, 3, 1, 2)
        return x + y


class InceptionConcat(nn.Module):
    """Inception branches (1x1, 1x1->3x3, 1x1->5x5, maxpool->1x1) concatenated on channels."""

    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b2a = nn.Conv2d(8, 4, 1)
        self.b2b = nn.Conv2d(4, 6, 3, padding=1)
        self.b3a = nn.Conv2d(8, 2, 1)
        self.b3b = nn.Conv2d(2, 3, 5, padding=2)
        self.b4 = nn.Conv2d(8, 3, 1)
        self.out = conv_bn(16, 8, 3, stride=2, padding=1)

    def forward(self, x):
        y1 = F.relu(self.b1(x))
        y2 = F.relu(self.b2b(F.relu(self.b2a(x))))
        y3 = F.relu(self.b3b(F.relu(self.b3a(x))))
        y4 = F.relu(self.b4(F.max_pool2d(x, 3, 1, 1)))
        y = torch.cat([y1, y2, y3, y4], 1)
        return F.relu(self.out(y))


class Slicing(nn.Module):
    """x[:, 2:5], x[..., ::2], x[:, :, 1:-1], x[:, -3:], flip, x[:, 0] and x[:, [0, 2, 3]] (Gather)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)  # N x 6 x 8 x 10
        a = x[:, 2:5]
        b = x[..., ::2]
        c = x[:, :, 1:-1, :]
        d = x[:, -3:, :, 3:7]
        e = torch.flip(x, [3])
        f = x[:, 0]
        g = x[:, [0, 2, 3]]
        return torch.cat([a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1), e.flatten(1), f.flatten(1),
                          g.flatten(1)], dim=1)


class PadModes(nn.Module):
    """F.pad reflect, replicate and constant (2-D and 1-D), each followed by a conv."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3)
        self.c2 = nn.Conv2d(4, 4, 3)
        self.c3 = nn.Conv2d(4, 4, 3)
        self.c4 = nn.Conv1d(4, 2, 3)

    def forward(self, x):
        x = self.c1(F.pad(x, (1, 1, 1, 1), mode='reflect'))
        x = self.c2(F.pad(x, (2, 0, 1, 1), mode='replicate'))
        x = self.c3(F.pad(x, (1, 1, 2, 0), mode='constant', value=-1.0))
        y = x.mean(2)  # N x 4 x W
        y = self.c4(F.pad(y, (2, 1), mode='reflect'))
        return torch.cat([x.flatten(1), y.flatten(1)], dim=1)


class SoftmaxDims(nn.Module):
    """softmax over channels of a 4-D tensor, over the last and the middle axis of a 3-D one, log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 3, padding=1)
        self.fc = nn.Linear(8, 6)

    def forward(self, x):
        y = self.conv(x)  # N x 5 x 8 x 8
        a = F.softmax(y, dim=1)
        t = self.fc(y.mean(3))  # N x 5 x 6
        b = F.softmax(t, dim=-1)
        c = F.softmax(t, dim=1)
        d = F.log_softmax(t.flatten(1), dim=1)
        return a, b + c, d


class Attention(nn.Module):
    """Multi-head self-attention written by hand: Linear on [N, T, D], slicing q/k/v, view/permute to heads,
    q @ k^T / sqrt(d), softmax, @ v, output projection, residual."""

    def __init__(self, d=16, heads=2):
        super().__init__()
        self.d, self.h = d, heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(x)
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        dh = d // self.h
        q = q.reshape(n, t, self.h, dh).permute(0, 2, 1, 3)
        k = k.reshape(n, t, self.h, dh).permute(0, 2, 1, 3)
        v = v.reshape(n, t, self.h, dh).permute(0, 2, 1, 3)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(dh)
        att = att.softmax(dim=-1)
        y = (att @ v).permute(0, 2, 1, 3).reshape(n, t, d)
        return x + self.proj(y)


class Linear3dReduce(nn.Module):
    """Linear on [N, T, D]; mean/sum/amax/amin/prod over different dims with and without keepdim; L2 norm."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 8)

    def forward(self, x):
        y = torch.tanh(self.fc(x))  # N x T x 8
        a = y.mean(1)
        b = y.sum(2, keepdim=True).squeeze(2)
        c = torch.amax(y, dim=1)
        d = torch.amin(y, dim=(1, 2), keepdim=True).view(-1, 1)
        e = (y + 1.5).prod(dim=2)
        f = torch.sqrt(y.pow(2).sum(-1) + 1e-6)
        g = y.mean(dim=(1, 2))[:, None]
        return torch.cat([a, b, c, d, e, f, g], dim=1)


class SqueezeUnsqueeze(nn.Module):
    """squeeze/unsqueeze between Linear, Conv1d and Conv2d: [N, 1, L] -> [N, L] -> [N, 1, L] -> [N, C, L, 1]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 20)
        self.c1 = nn.Conv1d(1, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, (3, 1), padding=(1, 0))

    def forward(self, x):
        y = self.fc(x.squeeze(1))
        y = self.c1(y.unsqueeze(1))
        y = self.c2(y.unsqueeze(-1))
        y = y.squeeze(-1)
        return torch.unsqueeze(y.sum(1), 1)


class ElementwiseMath(nn.Module):
    """pow(2), pow(3), pow(0.5), sqrt, exp, log, abs, neg, reciprocal, division by constants and by tensors,
    max/min of two tensors, constant minus tensor."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        y = self.fc(x)
        a = y.pow(2) + x.pow(3)
        b = torch.sqrt(torch.abs(y) + 1.0)
        c = torch.exp(-y * y / 2.0)
        d = torch.log(1.0 + y * y)
        e = torch.reciprocal(torch.abs(x) + 0.5) - 1.0 / (1.0 + y.pow(2))
        f = torch.maximum(x, y) - torch.minimum(x, -y)
        g = (torch.abs(y) + 0.1).pow(0.5) / 3.0
        h = 2.0 - y / (torch.abs(x) + 1.0)
        return torch.cat([a, b, c, d, e, f, g, h, -y], dim=1)


class MultiIO(nn.Module):
    """Two inputs (an image and a feature vector), three outputs (logits, embedding, image map)."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 8, 3, stride=2, padding=1)
        self.fc_img = nn.Linear(8, 8)
        self.fc_feat = nn.Linear(10, 8)
        self.head = nn.Linear(16, 5)

    def forward(self, image, features):
        m = F.relu(self.conv(image))
        e = torch.cat([self.fc_img(m.mean((2, 3))), F.relu(self.fc_feat(features))], dim=1)
        return self.head(e), e, m.sum(1, keepdim=True)


class Broadcasting(nn.Module):
    """Broadcast Add/Mul/Sub/Div with [1, C, 1, 1], [C, 1, 1], [W] parameters and with reduced tensors,
    on tensors a conv produced (stored channels-last inside the module) and on the input itself."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 3, padding=1)
        self.b1 = nn.Parameter(torch.randn(1, 6, 1, 1))
        self.s1 = nn.Parameter(torch.rand(6, 1, 1) + 0.5)
        self.w1 = nn.Parameter(torch.randn(8))
        self.h1 = nn.Parameter(torch.randn(6, 1))

    def forward(self, x):
        y = self.conv(x) + self.b1
        y = y * self.s1 - self.w1
        y = y / (y.mean(dim=1, keepdim=True).abs() + 1.0)
        y = y + self.h1
        z = x - x.mean((2, 3), keepdim=True)
        z = z * x.amax(dim=1, keepdim=True)
        w = torch.max(y[:, :4], z)
        return torch.cat([y, z, w, x * 0.5 + 1.0], dim=1)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hid = cin * expand
        self.use_res = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers += [conv_bn(cin, hid, 1), nn.ReLU6()]
        layers += [conv_bn(hid, hid, 3, stride, 1, groups=hid), nn.ReLU6(), conv_bn(hid, cout, 1)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2Small(nn.Module):
    """MobileNetV2 in small: stem, inverted residuals (expand, depthwise, project, residual), 1x1 head,
    AdaptiveAvgPool2d(1), flatten, Dropout, Linear."""

    def __init__(self):
        super().__init__()
        cfg = [(1, 8, 1, 1), (4, 12, 2, 2), (4, 16, 2, 2), (4, 24, 1, 1)]
        layers = [conv_bn(3, 8, 3, 2, 1), nn.ReLU6()]
        cin = 8
        for t, c, n, s in cfg:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [conv_bn(cin, 64, 1), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, 10))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class SEHard(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        self.fc1 = nn.Conv2d(c, c // r, 1)
        self.fc2 = nn.Conv2d(c // r, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))


class MobileNetV3Small(nn.Module):
    """MobileNetV3 style: hardswish stem, depthwise 3x3/5x5, hardsigmoid squeeze-excite, hardswish head with
    Linear layers on the pooled vector."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 8, 3, 2, 1)
        self.dw1 = conv_bn(8, 8, 3, 2, 1, groups=8)
        self.se1 = SEHard(8)
        self.pw1 = conv_bn(8, 12, 1)
        self.ex2 = conv_bn(12, 36, 1)
        self.dw2 = conv_bn(36, 36, 5, 1, 2, groups=36)
        self.se2 = SEHard(36)
        self.pw2 = conv_bn(36, 12, 1)
        self.last = conv_bn(12, 48, 1)
        self.fc1 = nn.Linear(48, 64)
        self.fc2 = nn.Linear(64, 7)

    def forward(self, x):
        x = F.hardswish(self.stem(x))
        x = self.pw1(self.se1(F.relu(self.dw1(x))))
        y = F.hardswish(self.dw2(F.hardswish(self.ex2(x))))
        x = x + self.pw2(self.se2(y))
        x = F.hardswish(self.last(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc2(F.hardswish(self.fc1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.att = Attention(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)

    def forward(self, x):
        x = self.att(self.ln1(x))  # Attention adds its own residual
        return x + self.ff2(F.relu(self.ff1(self.ln2(x))))


class TransformerEncoder(nn.Module):
    """Pre-norm transformer encoder block: nn.LayerNorm (opset 13 exports it as ReduceMean/Sub/Pow/Sqrt/Div),
    multi-head attention, ReLU MLP, residuals; mean over tokens; classifier."""

    def __init__(self):
        super().__init__()
        self.enc = EncoderLayer(16, 2, 32)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.norm(self.enc(x))
        return self.head(x.mean(1))


class ViTTiny(nn.Module):
    """ViT: patch embedding conv, flatten(2).transpose(1, 2), class token broadcast to the batch (+ zeros_like)
    and concatenated, position embedding, encoder layer, x[:, 0] into the head."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, 16, 4, stride=4)
        self.cls = nn.Parameter(torch.randn(1, 1, 16) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, 17, 16) * 0.5)
        self.enc = EncoderLayer(16, 4, 32)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # N x 16 x 16
        cls = self.cls + torch.zeros_like(x[:, :1])  # expand(N, -1, -1) would export Equal and Where
        x = torch.cat([cls, x], dim=1) + self.pos
        x = self.norm(self.enc(x))
        return self.head(x[:, 0])


class ClsTokenExpand(nn.Module):
    """Outside the op set, though only in a shape computation: expand(N, -1, -1) of a class token exports
    Equal and Where on the shape (as ViT implementations write it)."""

    def __init__(self):
        super().__init__()
        self.cls = nn.Parameter(torch.randn(1, 1, 8))
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        cls = self.cls.expand(x.shape[0], -1, -1)
        return self.fc(torch.cat([cls, x], dim=1)).mean(1)


class LeNetClassic(nn.Module):
    """LeNet-5 as in 1998 (narrower dense layers): tanh, average pooling, x.view(-1, 16 * 5 * 5), log_softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 64)
        self.f2 = nn.Linear(64, 32)
        self.f3 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = torch.tanh(self.f2(torch.tanh(self.f1(x))))
        return F.log_softmax(self.f3(x), dim=1)


class ZerosOnes(nn.Module):
    """Tensors of a batch-dependent shape: torch.zeros(x.size(0), 2) and zeros_like (ConstantOfShape of a
    Shape), new_ones, concatenated with and added to data."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        y = self.fc(x)  # N x 6
        a = torch.cat([y, torch.zeros(x.size(0), 2)], dim=1)  # N x 8
        b = torch.zeros_like(a[:, :3]) + 1.0
        c = a * x.new_ones(1, 8) * 2.0
        return torch.cat([c, b], dim=1)


class DynamicLength(nn.Module):
    """Conv1d over a sequence whose length is a dynamic axis too (sample shape given at compile time)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 8, 3, padding=1)
        self.c2 = nn.Conv1d(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = F.relu(self.c1(x))
        y = F.relu(self.c2(y)) + y
        return self.fc(y.mean(2)), y


class OddSizes(nn.Module):
    """Channel counts, spatial sizes and dense widths that are not multiples of 4 (the SIMD kernels' remainders):
    conv 3->7 on 11x13, depthwise 7 channels stride 2, pointwise 7->13, depthwise 5x5 on 13 channels, pool,
    dense 13->9->3."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 7, 3, padding=1)
        self.dw1 = nn.Conv2d(7, 7, 3, stride=2, padding=1, groups=7)
        self.pw = nn.Conv2d(7, 13, 1)
        self.dw2 = conv_bn(13, 13, 5, padding=2, groups=13)
        self.fc1 = nn.Linear(13 * 3 * 3, 9)
        self.fc2 = nn.Linear(9, 3)

    def forward(self, x):
        x = F.relu(self.c1(x))  # 7 x 11 x 13
        x = F.relu6(self.dw1(x))  # 7 x 6 x 7
        x = self.pw(x)
        x = F.leaky_relu(self.dw2(x), 0.01)  # 13 x 6 x 7
        x = F.max_pool2d(x, 2)  # 13 x 3 x 3
        x = torch.sigmoid(self.fc1(x.view(x.size(0), -1)))
        return self.fc2(x)


class BigKernels(nn.Module):
    """Windows as large as or larger than their input: conv 7x7 pad 3 on 4x4, conv dilation 3 on 5x5, max pool
    5x5 stride 1 pad 2, avg pool over the whole map, factorized 1x7 / 7x1 convs, 1x1 conv with stride 2."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 7, padding=3)
        self.c2 = nn.Conv2d(6, 6, 3, padding=3, dilation=3)
        self.c3 = nn.Conv2d(6, 6, (1, 7), padding=(0, 3))
        self.c4 = nn.Conv2d(6, 6, (7, 1), padding=(3, 0))
        self.c5 = nn.Conv2d(6, 4, 1, stride=2)

    def forward(self, x):
        a = F.relu(self.c1(x))  # 6 x 4 x 4
        b = self.c2(F.pad(a, (0, 1, 0, 1)))  # 6 x 5 x 5
        c = F.max_pool2d(b, 5, stride=1, padding=2)
        d = self.c4(self.c3(c))
        e = F.avg_pool2d(d, 5)
        f = self.c5(d)
        return torch.cat([e.flatten(1), f.flatten(1), c.flatten(1)], dim=1)


class FocusShuffle(nn.Module):
    """YOLOv5's Focus (four strided slices concatenated), a pixel shuffle written with a 6-D view and permute,
    Swin's window partition / reverse (6-D permute, windows moved into the batch dimension)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(12, 8, 3, padding=1)
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        x = torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1)
        x = self.conv(x)  # N x 8 x 4 x 4
        n, c, h, w = x.shape
        r = 2
        y = x.view(n, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // (r * r), h * r, w * r)
        # window partition of the N x 2 x 8 x 8 map into 4 x 4 windows, channels last
        t = y.permute(0, 2, 3, 1)  # N x 8 x 8 x 2
        ws = 4
        t = t.view(n, 8 // ws, ws, 8 // ws, ws, 2).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, 2)
        t = self.fc(t)  # (N * 4) x 16 x 2
        t = t.view(n, 8 // ws, 8 // ws, ws, ws, 2).permute(0, 1, 3, 2, 4, 5).reshape(n, 8, 8, 2)
        return y, t


class ImageU8(nn.Module):
    """A uint8 image input normalized inside the model as torchvision users write it: x.float() / 255, minus a
    per-channel mean, divided by a per-channel std, then conv, ReLU, global pool, fc."""

    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = (x.float() / 255.0 - self.mean) / self.std
        x = F.relu(self.conv(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class DefaultNames(nn.Module):
    """Exported as many users do: an input named 'input.1', no output names (ONNX names the output by number),
    dynamic axes on the input only, keep_initializers_as_inputs=True (weights listed among the graph inputs)."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(torch.flatten(x, 1))


class PoolSqueeze(nn.Module):
    """The everyday head self.pool(x).squeeze(): Squeeze without axes, which at batch 1 would drop the batch
    dimension too; and squeeze(-1).squeeze(-1) with axes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = self.conv(x)
        a = F.adaptive_avg_pool2d(x, 1).squeeze()
        b = F.adaptive_max_pool2d(x, 1).squeeze(-1).squeeze(-1)
        return self.fc(a + b)


class BatchSimilarity(nn.Module):
    """Mixes the samples of a batch: a similarity matrix x @ x.T of shape [N, N] (contrastive-style). Its
    output's second dimension is the batch, so it cannot be served one record at a time; must be refused."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        e = self.fc(x)
        return e @ e.t()


class WideRange(nn.Module):
    """Numerics over a wide range: softmax/log_softmax of logits scaled by 10, sigmoid and tanh far into
    saturation, exp up to e^12, RMS norm and LayerNorm of nearly constant rows (small variance against eps)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
        self.ln = nn.LayerNorm(10, eps=1e-5)

    def forward(self, x):
        h = self.fc(x) * 10.0
        a = F.softmax(h, dim=1)
        b = F.log_softmax(h, dim=1)
        c = torch.sigmoid(h * 2.0)
        d = torch.tanh(h)
        e = torch.exp(torch.clamp(h, max=12.0)) / 1e4
        f = h / torch.sqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)
        g = self.ln(1.0 + x * 1e-3)
        return torch.cat([a, b, c, d, e, f, g], dim=1)


class GemmVariants(nn.Module):
    """torch.addmm with alpha and beta, Linear without bias plus a [1, M] bias, matmul with a 1-D constant
    (output [N]), per-sample dot products of two inputs (a.unsqueeze(1) @ b.unsqueeze(2))."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 5) * 0.5)
        self.b = nn.Parameter(torch.randn(5))
        self.lin = nn.Linear(6, 4, bias=False)
        self.bias2 = nn.Parameter(torch.randn(1, 4))
        self.v = nn.Parameter(torch.randn(6))

    def forward(self, a, b):
        x = torch.addmm(self.b, a, self.w, beta=0.5, alpha=2.0)
        y = self.lin(b) + self.bias2
        z = torch.matmul(a, self.v)  # N
        dot = (a.unsqueeze(1) @ b.unsqueeze(2)).squeeze(2)  # N x 1
        return torch.cat([x, y, z.unsqueeze(1), dot], dim=1), z


class ReduceAxes(nn.Module):
    """Reductions of a conv's output over non-adjacent axes (1 and 3), over channels of a permuted tensor, and
    ReduceMax / ReduceMin over H and W with keepdim, broadcast back."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)  # N x 6 x 7 x 9
        a = y.mean(dim=(1, 3))  # N x 7
        b = y.sum(dim=(1, 3), keepdim=True).flatten(1)  # N x 7
        c = y.permute(0, 2, 3, 1).amax(dim=-1).flatten(1)  # N x 63
        d = y - torch.amin(y, dim=(2, 3), keepdim=True)
        e = d / (torch.amax(d, dim=(2, 3), keepdim=True) + 1.0)
        return torch.cat([a, b, c, e.flatten(1)], dim=1)


class BatchNormTransposed(nn.Module):
    """BatchNorm1d on a transposed sequence ([N, L, C] -> [N, C, L]) that follows a Linear, standalone BN1d on a
    2-D tensor after ReLU, Linear on the sequence again."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 6)
        self.bn1 = nn.BatchNorm1d(6)
        self.fc2 = nn.Linear(6, 4)
        self.bn2 = nn.BatchNorm1d(4 * 7)
        self.out = nn.Linear(4 * 7, 3)

    def forward(self, x):
        y = self.fc1(x)  # N x 7 x 6
        y = self.bn1(y.transpose(1, 2)).transpose(1, 2)
        y = F.relu(self.fc2(y))  # N x 7 x 4
        y = self.bn2(F.relu(y.reshape(y.size(0), -1)))
        return self.out(y)


class TorchTransformerLayer(nn.Module):
    """PyTorch's own nn.TransformerEncoderLayer (batch_first=False, as most code uses it): the input transposed
    to [T, N, D] and back, so the batch moves to axis 1 and heads are folded into it inside attention."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        y = self.layer(x.transpose(0, 1)).transpose(0, 1)
        return self.head(y[:, 0]), y


class GeluTanhMlp(nn.Module):
    """GPT-style MLP: F.gelu(approximate='tanh') and the same formula written by hand with torch.pow(x, 3)
    (both export Mul/Add/Tanh/Pow only), residual, LayerNorm."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 24)
        self.fc2 = nn.Linear(24, 12)
        self.ln = nn.LayerNorm(12)

    def forward(self, x):
        h = F.gelu(self.fc1(x), approximate='tanh')
        g = 0.5 * h * (1.0 + torch.tanh(0.7978845608 * (h + 0.044715 * torch.pow(h, 3))))
        return self.ln(x + self.fc2(g))


class NhwcInput(nn.Module):
    """A channels-last (TensorFlow-style) input [N, H, W, C]: permute to NCHW, conv + BN + ReLU, permute back,
    Linear on the channels of every pixel."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y = F.relu(self.conv(x.permute(0, 3, 1, 2)))
        return self.fc(y.permute(0, 2, 3, 1))


class DynamicImage(nn.Module):
    """A fully convolutional net whose height and width are dynamic axes (compiled for a sample shape other
    than the export's): strided convs, x.view(n, c, -1).mean(-1) (a Reshape that depends on H and W), fc."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = conv_bn(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = F.relu(self.c1(x))
        y = F.relu(self.c2(y))
        n, c = y.size(0), y.size(1)
        return self.fc(y.view(n, c, -1).mean(-1)), y


class StrideGaps(nn.Module):
    """Strides larger than the window (inputs skipped): conv kernel 2 stride 3, conv 1x1 stride 2 with padding,
    max pool 2 stride 3, avg pool 1 stride 2, max pool with dilation 2, 1-D max pool with dilation and
    ceil_mode."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 5, 2, stride=3)
        self.c2 = nn.Conv2d(3, 4, 1, stride=2, padding=1)

    def forward(self, x):
        a = self.c1(x)  # 5 x 5 x 5
        b = self.c2(x)  # 4 x 9 x 9
        c = F.max_pool2d(b, 2, stride=3)
        d = F.avg_pool2d(b, 1, stride=2)
        e = F.max_pool2d(b, 3, stride=1, dilation=2)
        f = F.max_pool1d(b.flatten(2), 3, stride=2, dilation=2, ceil_mode=True)
        return torch.cat([a.flatten(1), c.flatten(1), d.flatten(1), e.flatten(1), f.flatten(1)], dim=1)


class SharedWeights(nn.Module):
    """A siamese net: one conv (and its BatchNorm) applied to two inputs, the same Linear applied twice, the
    conv's weight also used unshared by F.conv2d; |a - b| and a * b of the embeddings."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 6, 3, padding=1)
        self.fc = nn.Linear(6, 6)

    def embed(self, x):
        y = F.relu(self.conv(x))
        z = F.conv2d(x, self.conv[0].weight, padding=1)  # the same weight without the BN
        return self.fc(y.mean((2, 3)) + z.mean((2, 3)))

    def forward(self, a, b):
        ea, eb = self.embed(a), self.embed(b)
        return torch.cat([torch.abs(ea - eb), ea * eb], dim=1)


class PassthroughOutputs(nn.Module):
    """Outputs that need no arithmetic: the input flattened (a pure view), transposed, sliced, plus one computed
    output; the input also feeds a computation."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        return x.view(x.size(0), -1), x.transpose(1, 2), x[:, 1:3], self.fc(x)


class BatchMixing(nn.Module):
    """Mixes the samples of a batch without changing shapes: softmax over dim 0 and centering by the batch
    mean. One record's answer depends on the other records in its batch; must be refused."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        return F.softmax(y, dim=0) + (y - y.mean(0, keepdim=True))


class Rank1Inputs(nn.Module):
    """A per-sample scalar input t of shape [N] next to x [N, 4]: t[:, None] broadcasting, 2 ** t (a constant
    base), (|x| + 0.5) ** t (a run-time exponent), and an output of shape [N]."""

    def forward(self, x, t):
        y = torch.pow(2.0, t).unsqueeze(1) * x + torch.pow(x.abs() + 0.5, t.unsqueeze(1))
        return y, (x * t[:, None]).sum(1)


class StatsRollStack(nn.Module):
    """var, vector norm, rsqrt, torch.roll (two Slices and a Concat), torch.stack (Unsqueeze + Concat), narrow."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        y = self.fc(x)  # N x 4 x 6
        b = y.var(1, unbiased=False)
        c = y.norm(dim=2)
        d = torch.rsqrt(b + 1e-3)
        e = torch.roll(y, 2, 2).flatten(1)
        f = torch.stack([d, b * 2.0], dim=1).flatten(1)
        g = y.narrow(2, 1, 3).flatten(1)
        return torch.cat([b, c, d, e, f, g], dim=1)


class StdLayerNorm(nn.Module):
    """The Annotated Transformer's LayerNorm, a * (x - mean) / (x.std(-1, keepdim=True) + eps) + b: torch exports
    std's Bessel correction with a ReduceProd over the (constant) shape, then Cast, Sub, Div, Sqrt."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.a = nn.Parameter(torch.rand(8) + 0.5)
        self.b = nn.Parameter(torch.randn(8) * 0.1)

    def forward(self, x):
        y = self.fc(x)  # N x 5 x 8
        mean = y.mean(-1, keepdim=True)
        std = y.std(-1, keepdim=True)
        return self.a * (y - mean) / (std + 1e-6) + self.b


class GroupNormNet(nn.Module):
    """Outside the op set: nn.GroupNorm exports InstanceNormalization (common in detection and diffusion nets)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.gn = nn.GroupNorm(2, 8)

    def forward(self, x):
        return F.relu(self.gn(self.conv(x)))


class UpsampleNearest(nn.Module):
    """Outside the op set: F.interpolate exports Resize (U-Net and FPN decoders)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=2.0, mode='nearest')


class TokenEmbedding(nn.Module):
    """Outside what can run: nn.Embedding of int64 token ids is a Gather whose indices are the model input."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.fc = nn.Linear(8, 2)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))


class CifarResNetA(nn.Module):
    """CIFAR ResNet's option-A shortcut: x[:, :, ::2, ::2] padded with zero channels by
    F.pad(x, (0, 0, 0, 0, p, p)) (padding axis 1); a grouped, dilated, strided conv."""

    def __init__(self):
        super().__init__()
        self.c1 = conv_bn(4, 8, 3, stride=2, padding=1)
        self.c2 = conv_bn(8, 8, 3, padding=1)
        self.c3 = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2)

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 2, 2), 'constant', 0.0)
        y = F.relu(y + short)
        return self.c3(y)


class HSwish(nn.Module):
    def forward(self, x):
        return x * F.relu6(x + 3.0) / 6.0


class HSigmoid(nn.Module):
    def forward(self, x):
        return F.relu6(x + 3.0) / 6.0


class HandHardSwish(nn.Module):
    """MobileNetV3 repositories' own h_swish (x * relu6(x + 3) / 6, fused as one activation) and h_sigmoid
    (relu6(x + 3) / 6) modules, with h_sigmoid gating an SE block and x * h_sigmoid(x)."""

    def __init__(self):
        super().__init__()
        self.conv = conv_bn(3, 8, 3, padding=1)
        self.hs = HSwish()
        self.hsig = HSigmoid()
        self.se1 = nn.Linear(8, 4)
        self.se2 = nn.Linear(4, 8)

    def forward(self, x):
        y = self.hs(self.conv(x))
        s = self.hsig(self.se2(F.relu(self.se1(y.mean((2, 3))))))
        y = y * s.view(y.size(0), 8, 1, 1)
        return y * self.hsig(y), self.hs(y + 1.0)


class CausalAttention(nn.Module):
    """GPT-style causal self-attention: a sinusoidal position table sliced by x.size(1), an additive causal mask
    of -inf (softmax over rows with exp(-inf) = 0), and a second head with a -1e9 mask; tanh-GELU MLP."""

    def __init__(self, d=16, t_max=12):
        super().__init__()
        pos = torch.arange(t_max).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(t_max, d)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer('pe', pe.unsqueeze(0))
        mask = torch.triu(torch.ones(t_max, t_max), diagonal=1)
        self.register_buffer('mask_inf', mask.masked_fill(mask == 1, float('-inf')))
        self.register_buffer('mask_big', mask * -1e9)
        self.qkv = nn.Linear(d, 3 * d)
        self.fc1 = nn.Linear(d, 2 * d)
        self.fc2 = nn.Linear(2 * d, d)
        self.d = d

    def forward(self, x):
        n, t, d = x.shape
        x = x + self.pe[:, :x.size(1)]
        qkv = self.qkv(x)
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        s = q @ k.transpose(1, 2) / math.sqrt(d)
        a1 = F.softmax(s + self.mask_inf[:t, :t], dim=-1) @ v
        a2 = F.softmax(s + self.mask_big[:t, :t], dim=-1) @ v
        y = x + a1 + a2
        return y + self.fc2(F.gelu(self.fc1(y), approximate='tanh'))


class PoolExtras(nn.Module):
    """MaxPool2d(3, 2, 1, ceil_mode=True) on an even size (GoogLeNet), AdaptiveAvgPool1d(7) and
    AdaptiveAvgPool2d((2, 3)) (exported as AveragePool), AvgPool1d with ceil_mode."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)  # 4 x 14 x 12
        a = F.max_pool2d(y, 3, 2, 1, ceil_mode=True)
        b = F.adaptive_avg_pool2d(y, (2, 3))
        c = F.adaptive_avg_pool1d(y.mean(3), 7)
        d = F.avg_pool1d(y.mean(2), 5, stride=3, ceil_mode=True)
        return torch.cat([a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1)], dim=1)


class TinyOps(nn.Module):
    """Models of one op (preprocessing exports): BatchNorm2d alone on the input, Sigmoid alone, Softmax alone."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x), torch.sigmoid(x), F.softmax(x, dim=1)


class ArangePositions(nn.Module):
    """Outside the op set, though only in a computation of constants: learned position embeddings indexed by
    torch.arange(x.size(1)) export Range (BERT/GPT style)."""

    def __init__(self):
        super().__init__()
        self.pos = nn.Embedding(10, 8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(x + self.pos(torch.arange(x.size(1)))).mean(1)


class GraphConv(nn.Module):
    """A graph convolution: constant normalized adjacency A [V, V] times node features X [N, V, F] (MatMul with a
    constant left operand), X @ W, outer products x[:, :, None] * y[:, None, :], maximum with a constant."""

    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(7)
        adj = (torch.rand(6, 6, generator=gen) > 0.5).float() + torch.eye(6)
        deg = adj.sum(1)
        self.register_buffer('a_hat', adj / torch.sqrt(deg[:, None] * deg[None, :]))
        self.register_buffer('floor', torch.linspace(-0.5, 0.5, 4))
        self.w1 = nn.Linear(5, 8)
        self.w2 = nn.Linear(8, 4)

    def forward(self, x):
        h = F.relu(self.w1(torch.matmul(self.a_hat, x)))
        h = self.w2(self.a_hat @ h)  # N x 6 x 4
        g = h.mean(1)  # N x 4
        outer = g[:, :, None] * h.amax(1)[:, None, :]  # N x 4 x 4
        return torch.maximum(h, self.floor), outer


class TextCnn(nn.Module):
    """Kim's TextCNN on embedded tokens [N, T, D]: transpose(1, 2) into Conv1d of widths 3, 4, 5, ReLU, max over
    time, concat, fc; and log(relu(.)), which is -inf wherever the ReLU is 0."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(12, 6, k) for k in (3, 4, 5)])
        self.fc = nn.Linear(18, 4)

    def forward(self, x):
        x = x.transpose(1, 2)
        feats = [F.relu(c(x)).amax(dim=2) for c in self.convs]
        h = torch.cat(feats, 1)
        return self.fc(h), torch.log(F.relu(self.convs[0](x)))


class LstmNet(nn.Module):
    """Outside the op set: nn.LSTM exports the LSTM op."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, batch_first=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1])


class GeluMlp(nn.Module):
    """Outside the op set on purpose: GELU exports Erf. The compiler must refuse it, naming the node."""

    def __init__(self):
        super().__init__()
        self.f1 = nn.Linear(8, 16)
        self.f2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.f2(F.gelu(self.f1(x)))


class ChunkSplit(nn.Module):
    """GLU-style gating with torch.chunk, which torch 1.13 exports with a dynamic batch as Shape/Gather/Div/Slice
    (not Split)."""

    def __init__(self):
        super().__init__()
        self.f1 = nn.Linear(8, 16)

    def forward(self, x):
        a, b = torch.chunk(self.f1(x), 2, dim=1)
        return a * torch.sigmoid(b)


# name -> (module class, seed, inputs {name: example shape, or (shape, dtype)}, output names (None: ONNX's own),
#          extra dynamic axes per input/output, other torch.onnx.export arguments)
MODELS = collections.OrderedDict([
    ('conv_geometry', (ConvGeometry, 101, {'x': (2, 3, 16, 16)}, ['y'], {})),
    ('conv_groups', (ConvGroups, 102, {'x': (2, 4, 8, 8)}, ['y'], {})),
    ('depthwise', (Depthwise, 103, {'x': (2, 8, 12, 12)}, ['y'], {})),
    ('asymmetric_pad', (AsymmetricPad, 104, {'x': (2, 3, 15, 15)}, ['y'], {})),
    ('conv1d_net', (Conv1dNet, 105, {'x': (2, 4, 32)}, ['y'], {})),
    ('batchnorm_variants', (BatchNormVariants, 106, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('resnet_tiny', (ResNetTiny, 107, {'x': (2, 3, 16, 16)}, ['y'], {})),
    ('squeeze_excite', (SqueezeExcite, 108, {'x': (2, 3, 10, 10)}, ['y'], {})),
    ('activations', (Activations, 109, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('pooling', (Pooling, 110, {'x': (2, 3, 15, 15)}, ['pooled', 'global_max', 'window_sum'], {})),
    ('reshape_chains', (ReshapeChains, 111, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('permute_linear', (PermuteLinear, 112, {'x': (2, 8, 8, 8)}, ['y'], {})),
    ('inception_concat', (InceptionConcat, 113, {'x': (2, 8, 10, 10)}, ['y'], {})),
    ('slicing', (Slicing, 114, {'x': (2, 6, 8, 10)}, ['y'], {})),
    ('pad_modes', (PadModes, 115, {'x': (2, 3, 9, 9)}, ['y'], {})),
    ('softmax_dims', (SoftmaxDims, 116, {'x': (2, 3, 8, 8)}, ['channels', 'tokens', 'log_probs'], {})),
    ('attention', (Attention, 117, {'x': (2, 8, 16)}, ['y'], {})),
    ('linear3d_reduce', (Linear3dReduce, 118, {'x': (2, 6, 12)}, ['y'], {})),
    ('squeeze_unsqueeze', (SqueezeUnsqueeze, 119, {'x': (2, 1, 20)}, ['y'], {})),
    ('elementwise_math', (ElementwiseMath, 120, {'x': (2, 10)}, ['y'], {})),
    ('multi_io', (MultiIO, 121, {'image': (2, 3, 12, 12), 'features': (2, 10)}, ['logits', 'embedding', 'map'],
                  {})),
    ('broadcasting', (Broadcasting, 122, {'x': (2, 4, 6, 8)}, ['y'], {})),
    ('mobilenet_v2_small', (MobileNetV2Small, 123, {'x': (2, 3, 32, 32)}, ['logits'], {})),
    ('mobilenet_v3_small', (MobileNetV3Small, 124, {'x': (2, 3, 32, 32)}, ['logits'], {})),
    ('transformer_encoder', (TransformerEncoder, 125, {'x': (2, 10, 16)}, ['logits'], {})),
    ('vit_tiny', (ViTTiny, 126, {'x': (2, 3, 16, 16)}, ['logits'], {})),
    ('lenet_classic', (LeNetClassic, 127, {'x': (2, 1, 28, 28)}, ['log_probs'], {})),
    ('zeros_ones', (ZerosOnes, 128, {'x': (2, 6)}, ['y'], {})),
    ('dynamic_length', (DynamicLength, 129, {'x': (2, 3, 24)}, ['logits', 'features'],
                        {'x': {2: 'length'}, 'features': {2: 'length'}})),
    ('odd_sizes', (OddSizes, 133, {'x': (2, 3, 11, 13)}, ['y'], {})),
    ('big_kernels', (BigKernels, 134, {'x': (2, 3, 4, 4)}, ['y'], {})),
    ('focus_shuffle', (FocusShuffle, 135, {'x': (2, 3, 8, 8)}, ['shuffled', 'windows'], {})),
    ('image_u8', (ImageU8, 136, {'x': ((2, 3, 16, 16), torch.uint8)}, ['y'], {})),
    ('default_names', (DefaultNames, 137, {'input.1': (2, 3, 8, 8)}, None, {},
                       {'keep_initializers_as_inputs': True})),
    ('pool_squeeze', (PoolSqueeze, 138, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('batch_similarity', (BatchSimilarity, 139, {'x': (2, 6)}, ['y'], {'y': {1: 'batch'}})),
    ('wide_range', (WideRange, 140, {'x': (2, 10)}, ['y'], {})),
    ('gemm_variants', (GemmVariants, 141, {'a': (2, 6), 'b': (2, 6)}, ['y', 'z'], {})),
    ('reduce_axes', (ReduceAxes, 142, {'x': (2, 3, 7, 9)}, ['y'], {})),
    ('batchnorm_transposed', (BatchNormTransposed, 143, {'x': (2, 7, 5)}, ['y'], {})),
    ('torch_transformer_layer', (TorchTransformerLayer, 144, {'x': (2, 6, 16)}, ['logits', 'tokens'], {})),
    ('gelu_tanh_mlp', (GeluTanhMlp, 145, {'x': (2, 12)}, ['y'], {})),
    ('nhwc_input', (NhwcInput, 146, {'x': (2, 10, 12, 3)}, ['y'], {})),
    ('dynamic_image', (DynamicImage, 147, {'x': (2, 3, 16, 16)}, ['logits', 'features'],
                       {'x': {2: 'height', 3: 'width'}, 'features': {2: 'h2', 3: 'w2'}})),
    ('stride_gaps', (StrideGaps, 148, {'x': (2, 3, 15, 15)}, ['y'], {})),
    ('shared_weights', (SharedWeights, 149, {'a': (2, 3, 8, 8), 'b': (2, 3, 8, 8)}, ['y'], {})),
    ('passthrough_outputs', (PassthroughOutputs, 150, {'x': (2, 4, 5)}, ['flat', 'transposed', 'sliced', 'fc'],
                             {})),
    ('batch_mixing', (BatchMixing, 151, {'x': (2, 4)}, ['y'], {})),
    ('rank1_inputs', (Rank1Inputs, 152, {'x': (2, 4), 't': (2,)}, ['y', 's'], {})),
    ('stats_roll_stack', (StatsRollStack, 153, {'x': (2, 4, 6)}, ['y'], {})),
    ('std_layernorm', (StdLayerNorm, 157, {'x': (2, 5, 8)}, ['y'], {})),
    ('cifar_resnet_a', (CifarResNetA, 158, {'x': (2, 4, 12, 12)}, ['y'], {})),
    ('hand_hardswish', (HandHardSwish, 159, {'x': (2, 3, 8, 8)}, ['gated', 'swished'], {})),
    ('causal_attention', (CausalAttention, 160, {'x': (2, 9, 16)}, ['y'], {})),
    ('pool_extras', (PoolExtras, 161, {'x': (2, 3, 14, 12)}, ['y'], {})),
    ('tiny_ops', (TinyOps, 162, {'x': (2, 3, 4, 5)}, ['bn', 'sigmoid', 'softmax'], {})),
    ('arange_positions', (ArangePositions, 163, {'x': (2, 6, 8)}, ['y'], {})),
    ('graph_conv', (GraphConv, 164, {'x': (2, 6, 5)}, ['nodes', 'outer'], {})),
    ('text_cnn', (TextCnn, 165, {'x': (2, 11, 12)}, ['logits', 'log_relu'], {})),
    ('lstm', (LstmNet, 166, {'x': (2, 7, 6)}, ['y'], {})),
    ('group_norm', (GroupNormNet, 154, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('upsample_nearest', (UpsampleNearest, 155, {'x': (2, 3, 8, 8)}, ['y'], {})),
    ('token_embedding', (TokenEmbedding, 156, {'ids': ((2, 7), torch.int64)}, ['y'], {})),
    ('gelu_mlp', (GeluMlp, 130, {'x': (2, 8)}, ['y'], {})),
    ('chunk_split', (ChunkSplit, 131, {'x': (2, 8)}, ['y'], {})),
    ('cls_token_expand', (ClsTokenExpand, 132, {'x': (2, 5, 8)}, ['y'], {})),
])


def example_input(spec, gen):
    shape, dtype = spec if isinstance(spec[0], tuple) else (spec, torch.float32)
    if dtype == torch.uint8:
        return torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    if dtype == torch.int64:
        return torch.randint(0, 50, shape, generator=gen, dtype=torch.int64)
    return torch.randn(*shape, generator=gen)


def export(name):
    cls, seed, inputs, outputs, extra_axes, *rest = MODELS[name]
    overrides = rest[0] if rest else {}
    torch.manual_seed(seed)
    model = cls()
    randomize_bn(model, torch.Generator().manual_seed(seed + 1000))
    model.eval()
    gen = torch.Generator().manual_seed(seed + 2000)
    example = tuple(example_input(spec, gen) for spec in inputs.values())
    dynamic = {}
    for io in list(inputs) + (outputs or []):
        dynamic[io] = {0: 'batch'}
        dynamic[io].update(extra_axes.get(io, {}))
    path = os.path.join(HERE, name + '.onnx')
    with torch.no_grad():
        model(*example)  # runs once, so a broken module fails here rather than in the exporter
        torch.onnx.export(model, example, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=list(inputs), output_names=outputs, dynamic_axes=dynamic, **overrides)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise SystemExit(f'{name}.onnx is {size} bytes, more than {MAX_BYTES}')
    ops = collections.Counter(n.op_type for n in m.graph.node)
    return cls.__doc__.split('\n\n')[0].replace('\n', ' ').strip(), m, ops, size


def dims(vi):
    return 'x'.join(d.dim_param if d.dim_param else str(d.dim_value) for d in vi.type.tensor_type.shape.dim)


def main(argv):
    names = argv or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f'unknown model(s) {unknown}; known: {list(MODELS)}')
    rows = []
    for name in names:
        doc, m, ops, size = export(name)
        weights = {t.name for t in m.graph.initializer}
        ins = ', '.join(f'{i.name} {dims(i)}' for i in m.graph.input if i.name not in weights)
        outs = ', '.join(f'{o.name} {dims(o)}' for o in m.graph.output)
        op_list = ', '.join(f'{op} {k}' for op, k in sorted(ops.items()))
        rows.append(f'| `{name}` | {doc} | {ins} | {outs} | {op_list} | {size} |')
        print(f'{name}: {size} bytes, {sum(ops.values())} nodes: {op_list}')
    if argv:
        return
    with open(os.path.join(HERE, 'MANIFEST.md'), 'w') as f:
        f.write('# Model zoo\n\n'
                f'Written by `export_zoo.py` (torch {torch.__version__}, onnx {onnx.__version__}, opset {OPSET}, '
                'dynamic batch axis, constant folding). Random seeded weights: these models are not trained; '
                'they exist to test the ONNX compiler on files shaped like user exports '
                '(`compiler/src/test/java/io/wasminference/compiler/ZooModelsTest.java`).\n\n'
                '| model | what it exercises | inputs | outputs | ONNX nodes | bytes |\n'
                '|---|---|---|---|---|---|\n')
        f.write('\n'.join(rows) + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
