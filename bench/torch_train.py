#!/usr/bin/env python3
"""PyTorch CPU baseline for bench/train.sh: the same Llama shape, batch and optimizer as the Java
TrainBenchmark (AdamW, grad clip 1.0, untied or tied head, optional LoRA on all seven projections),
timed over the same number of steps after the same warm-up. Prints one JSON line.

Usage: /usr/bin/python3 bench/torch_train.py key=value ... (dim, hidden, layers, heads, kv_heads,
vocab, seq, batch, steps, warmup, threads, mode=full|lora, lora_rank, tied=0|1)
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def arg(a, k, d):
    return type(d)(a.get(k, d))


class Lora(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(rank, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.scale * ((x @ self.a.T) @ self.b.T)


class Block(nn.Module):
    def __init__(self, d, hid, h, kvh):
        super().__init__()
        hs = d // h
        self.h, self.kvh, self.hs = h, kvh, hs
        self.w1n = nn.Parameter(torch.ones(d))
        self.w2n = nn.Parameter(torch.ones(d))
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, kvh * hs, bias=False)
        self.v = nn.Linear(d, kvh * hs, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.gate = nn.Linear(d, hid, bias=False)
        self.up = nn.Linear(d, hid, bias=False)
        self.down = nn.Linear(hid, d, bias=False)

    @staticmethod
    def norm(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

    def forward(self, x, cos, sin):
        B, T, d = x.shape
        xn = self.norm(x, self.w1n)
        q = self.q(xn).view(B, T, self.h, self.hs)
        k = self.k(xn).view(B, T, self.kvh, self.hs)
        v = self.v(xn).view(B, T, self.kvh, self.hs)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = self.h // self.kvh
        if rep > 1:
            k = k.repeat_interleave(rep, dim=2)
            v = v.repeat_interleave(rep, dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hs)
        att = att.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
        o = torch.softmax(att, -1) @ v
        x = x + self.o(o.transpose(1, 2).reshape(B, T, d))
        xn = self.norm(x, self.w2n)
        return x + self.down(F.silu(self.gate(xn)) * self.up(xn))


def rope(x, cos, sin):
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


class Llama(nn.Module):
    def __init__(self, d, hid, L, h, kvh, V, T, tied):
        super().__init__()
        self.emb = nn.Embedding(V, d)
        nn.init.normal_(self.emb.weight, std=0.02)  # same scale as the Java side's initialisation
        self.blocks = nn.ModuleList(Block(d, hid, h, kvh) for _ in range(L))
        self.nf = nn.Parameter(torch.ones(d))
        self.head = nn.Linear(d, V, bias=False)
        if tied:
            self.head.weight = self.emb.weight
        hs = d // h
        inv = 10000.0 ** (-torch.arange(0, hs, 2).float() / hs)
        ang = torch.arange(T).float()[:, None] * inv[None]
        self.register_buffer("cos", torch.cos(ang)[None, :, None, :])
        self.register_buffer("sin", torch.sin(ang)[None, :, None, :])

    def forward(self, idx, targets):
        x = self.emb(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        x = Block.norm(x, self.nf)
        logits = self.head(x)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def main():
    a = dict(s.split("=", 1) for s in sys.argv[1:])
    d, hid, L, h = arg(a, "dim", 288), arg(a, "hidden", 768), arg(a, "layers", 6), arg(a, "heads", 6)
    kvh, V, T, B = arg(a, "kv_heads", h), arg(a, "vocab", 32000), arg(a, "seq", 256), arg(a, "batch", 8)
    steps, warm, threads = arg(a, "steps", 5), arg(a, "warmup", 2), arg(a, "threads", 2)
    mode, rank, tied = a.get("mode", "full"), arg(a, "lora_rank", 8), arg(a, "tied", 1) == 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = Llama(d, hid, L, h, kvh, V, T, tied)
    nparams = sum(p.numel() for p in m.parameters())
    if mode == "lora":
        for p in m.parameters():
            p.requires_grad_(False)
        for blk in m.blocks:
            for name in ["q", "k", "v", "o", "gate", "up", "down"]:
                setattr(blk, name, Lora(getattr(blk, name), rank, 2 * rank))
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    gen = torch.Generator().manual_seed(7)
    data = torch.randint(0, V, (steps + warm, B, T + 1), generator=gen)

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = m(data[i, :, :-1], data[i, :, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return float(loss)

    for i in range(warm):
        step(i)
    t0 = time.perf_counter()
    loss = 0.0
    for i in range(warm, warm + steps):
        loss = step(i)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"engine": f"pytorch-{torch.__version__}", "mode": mode, "params": nparams, "threads": threads,
                      "batch": B, "seq": T, "steps": steps, "seconds_per_step": round(secs / steps, 3),
                      "tokens_per_second": round(steps * B * T / secs, 1), "final_loss": round(loss, 4),
                      "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
