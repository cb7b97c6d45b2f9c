#!/usr/bin/python3
"""Reference decode benchmark: the same Llama forward pass in PyTorch on the CPU, with a KV cache.

Reads a llama2.c checkpoint (header of 7 int32, then float32 tensors in run.c's order), decodes
STREAMS sequences greedily from BOS (id 1) for exactly TOKENS tokens, all streams batched in one
forward pass per step, and prints as its last line "tokens/s: X" (best of RUNS timed runs after
a warm-up run). The first tokens of stream 0 go to stdout too, to compare with the Java engine.

Usage: /usr/bin/python3 bench/decode_torch.py CHECKPOINT [--tokens N] [--streams S] [--threads T] [--runs R]
Needs Debian's python3-torch with libopenblas0-pthread (run with /usr/bin/python3).
"""
import argparse
import math
import struct
import sys
import time

import numpy as np
import torch


def load_llama2c(path):
    with open(path, "rb") as f:
        header = struct.unpack("<7i", f.read(28))
        data = np.frombuffer(f.read(), dtype="<f4")
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = header
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // n_heads
    kv_dim = n_kv * head
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        t = torch.from_numpy(data[off:off + n].copy()).reshape(*shape)
        off += n
        return t

    w = {"emb": take(vocab, dim), "att_norm": take(n_layers, dim), "wq": take(n_layers, dim, dim),
         "wk": take(n_layers, kv_dim, dim), "wv": take(n_layers, kv_dim, dim), "wo": take(n_layers, dim, dim),
         "ffn_norm": take(n_layers, dim), "w1": take(n_layers, hidden, dim), "w2": take(n_layers, dim, hidden),
         "w3": take(n_layers, hidden, dim), "final_norm": take(dim)}
    off += seq_len * head  # the two unused RoPE tables (seq_len x head/2 each)
    w["out"] = w["emb"] if shared else take(vocab, dim)
    cfg = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads, n_kv=n_kv, vocab=vocab,
               seq_len=seq_len, head=head, kv_dim=kv_dim)
    return cfg, w


class Model:
    def __init__(self, cfg, w):
        self.c, self.w = cfg, w
        # Weights pre-transposed once so every matmul is x @ W^T without a copy per step.
        L = cfg["n_layers"]
        self.wqkv_t = [torch.cat([w["wq"][l], w["wk"][l], w["wv"][l]], 0).t().contiguous() for l in range(L)]
        self.wo_t = [w["wo"][l].t().contiguous() for l in range(L)]
        self.w13_t = [torch.cat([w["w1"][l], w["w3"][l]], 0).t().contiguous() for l in range(L)]
        self.w2_t = [w["w2"][l].t().contiguous() for l in range(L)]
        self.out_t = w["out"].t().contiguous()
        half = cfg["head"] // 2
        freq = 1.0 / (10000.0 ** (torch.arange(0, half, dtype=torch.float64) * 2 / cfg["head"]))
        ang = torch.arange(cfg["seq_len"], dtype=torch.float64)[:, None] * freq[None, :]
        self.cos, self.sin = ang.cos().float(), ang.sin().float()

    @staticmethod
    def rmsnorm(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * g

    def rope(self, x, pos):  # x: (S, H, head); adjacent pairs (2i, 2i+1)
        S, H, D = x.shape
        xr = x.view(S, H, D // 2, 2)
        a, b = xr[..., 0], xr[..., 1]
        c, s = self.cos[pos], self.sin[pos]
        return torch.stack((a * c - b * s, a * s + b * c), -1).view(S, H, D)

    def new_cache(self, streams):
        c = self.c
        shape = (c["n_layers"], streams, c["seq_len"], c["n_kv"], c["head"])
        return torch.zeros(shape), torch.zeros(shape)

    def step(self, tokens, pos, kc, vc):
        c, w = self.c, self.w
        S = tokens.shape[0]
        dim, kv_dim, H, KV, D = c["dim"], c["kv_dim"], c["n_heads"], c["n_kv"], c["head"]
        x = w["emb"][tokens]
        for l in range(c["n_layers"]):
            h = self.rmsnorm(x, w["att_norm"][l])
            qkv = h @ self.wqkv_t[l]
            q = self.rope(qkv[:, :dim].reshape(S, H, D), pos)
            k = self.rope(qkv[:, dim:dim + kv_dim].reshape(S, KV, D), pos)
            v = qkv[:, dim + kv_dim:].reshape(S, KV, D)
            kc[l, :, pos] = k
            vc[l, :, pos] = v
            keys = kc[l, :, :pos + 1]          # (S, T, KV, D)
            vals = vc[l, :, :pos + 1]
            qg = q.view(S, KV, H // KV, D)
            att = torch.einsum("sgmd,stgd->sgmt", qg, keys) / math.sqrt(D)
            att = torch.softmax(att, -1)
            o = torch.einsum("sgmt,stgd->sgmd", att, vals).reshape(S, dim)
            x = x + o @ self.wo_t[l]
            h = self.rmsnorm(x, w["ffn_norm"][l])
            gu = h @ self.w13_t[l]
            g, u = gu[:, :c["hidden"]], gu[:, c["hidden"]:]
            x = x + (torch.nn.functional.silu(g) * u) @ self.w2_t[l]
        x = self.rmsnorm(x, w["final_norm"])
        return x @ self.out_t


def decode(model, streams, tokens):
    kc, vc = model.new_cache(streams)
    tok = torch.ones(streams, dtype=torch.long)  # BOS
    first = []
    for pos in range(tokens):
        logits = model.step(tok, pos, kc, vc)
        tok = torch.argmax(logits, -1)
        first.append(int(tok[0]))
    return first


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg, w = load_llama2c(a.checkpoint)
    if a.tokens >= cfg["seq_len"]:
        sys.exit(f"--tokens must be below the context {cfg['seq_len']}")
    model = Model(cfg, w)
    best = 0.0
    with torch.inference_mode():
        decode(model, a.streams, min(a.tokens, 32))  # warm-up
        for r in range(a.runs):
            c0, t0 = time.process_time(), time.perf_counter()
            first = decode(model, a.streams, a.tokens)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            tps = a.streams * a.tokens / dt
            print(f"run {r + 1}: {a.streams * a.tokens} tokens in {dt:.3f} s = {tps:.1f} tokens/s "
                  f"(process used {cpu / dt:.2f} cores)", file=sys.stderr)
            best = max(best, tps)
    print("first tokens of stream 0:", first[:16])
    print(f"tokens/s: {best:.1f}")


if __name__ == "__main__":
    main()
