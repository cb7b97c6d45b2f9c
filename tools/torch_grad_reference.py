#!/usr/bin/env python3
"""Reference loss and gradients for the trainer's golden-file test, computed by PyTorch autograd.

Builds tiny Llama models with random float32 weights, runs one packed batch (segment-masked
causal attention, positions restarting per example, ignored targets), and writes the weights,
the batch, the mean token loss and the gradient of every tensor to a text file that
engine/src/test/java/.../TorchGoldenTest.java reads. The model is written here from scratch in
float64 (weights are float32 values), independent of the Java code:
  - matrices are [out][in] (nn.Linear layout), rotary embeddings rotate adjacent pairs (2i, 2i+1),
  - query head h uses key/value head h // (n_heads / n_kv_heads).

Run: /usr/bin/python3 tools/torch_grad_reference.py engine/src/test/resources/train/torch_golden.txt
(Debian: apt-get install -y python3-torch libopenblas0-pthread). CI never runs this script.
"""
import math
import sys

import torch

torch.set_default_dtype(torch.float64)


def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta):
    # x: [N, heads, hs]; rotate pairs (2i, 2i+1) by pos * theta^(-2i/hs)
    hs = x.shape[-1]
    inv = theta ** (-torch.arange(0, hs, 2, dtype=torch.float64) / hs)
    ang = pos[:, None].double() * inv[None, :]
    c, s = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1)
    return out.flatten(-2)


def forward(cfg, P, tokens, targets, positions, segments, B, T, lora=None, reduction="mean"):
    d, H, KV = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hs = d // H
    N = B * T

    def lin(x, name, t=None, layer=None, bias=None):
        y = x @ P[name].T
        if bias is not None and bias in P:
            y = y + P[bias]
        if lora is not None and t in lora["targets"]:
            a, b = P[f"layers.{layer}.{t}.lora_A"], P[f"layers.{layer}.{t}.lora_B"]
            y = y + lora["scale"] * ((x @ a.T) @ b.T)
        return y

    x = P["tok_embeddings"][tokens]
    seg = segments.view(B, T)
    allowed = (seg[:, :, None] == seg[:, None, :]) & torch.tril(torch.ones(T, T, dtype=torch.bool))[None]
    for l in range(cfg["layers"]):
        p = f"layers.{l}."
        xn = rms_norm(x, P[p + "attention_norm"], cfg["eps"])
        q = lin(xn, p + "wq", "q_proj", l, p + "bq").view(N, H, hs)
        k = lin(xn, p + "wk", "k_proj", l, p + "bk").view(N, KV, hs)
        v = lin(xn, p + "wv", "v_proj", l, p + "bv").view(N, KV, hs)
        q, k = rope(q, positions, cfg["theta"]), rope(k, positions, cfg["theta"])
        rep = H // KV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        q = q.view(B, T, H, hs).transpose(1, 2)
        k = k.view(B, T, H, hs).transpose(1, 2)
        v = v.view(B, T, H, hs).transpose(1, 2)
        sc = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        sc = sc.masked_fill(~allowed[:, None], float("-inf"))
        o = (torch.softmax(sc, -1) @ v).transpose(1, 2).reshape(N, d)
        x = x + lin(o, p + "wo", "o_proj", l)
        xn = rms_norm(x, P[p + "ffn_norm"], cfg["eps"])
        g = lin(xn, p + "w1", "gate_proj", l)
        u = lin(xn, p + "w3", "up_proj", l)
        x = x + lin(torch.nn.functional.silu(g) * u, p + "w2", "down_proj", l)
    x = rms_norm(x, P["norm"], cfg["eps"])
    head = P["tok_embeddings"] if cfg["tied"] else P["output"]
    logits = x @ head.T
    return torch.nn.functional.cross_entropy(logits, targets, ignore_index=-1, reduction=reduction)


def make_params(cfg, gen):
    d, hid, V, L = cfg["dim"], cfg["hidden"], cfg["vocab"], cfg["layers"]
    kv = cfg["kv_heads"] * (d // cfg["heads"])

    def rnd(*shape, base=0.0):
        return (base + 0.3 * torch.randn(*shape, generator=gen)).float().double()

    P = {"tok_embeddings": rnd(V, d)}
    for l in range(L):
        p = f"layers.{l}."
        P[p + "attention_norm"] = rnd(d, base=1.0)
        P[p + "wq"] = rnd(d, d)
        P[p + "wk"] = rnd(kv, d)
        P[p + "wv"] = rnd(kv, d)
        if cfg["qkv_bias"]:
            P[p + "bq"], P[p + "bk"], P[p + "bv"] = rnd(d), rnd(kv), rnd(kv)
        P[p + "wo"] = rnd(d, d)
        P[p + "ffn_norm"] = rnd(d, base=1.0)
        P[p + "w1"] = rnd(hid, d)
        P[p + "w2"] = rnd(d, hid)
        P[p + "w3"] = rnd(hid, d)
    P["norm"] = rnd(d, base=1.0)
    if not cfg["tied"]:
        P["output"] = rnd(V, d)
    return P


def make_lora(cfg, P, gen, rank, alpha, targets):
    d, hid = cfg["dim"], cfg["hidden"]
    kv = cfg["kv_heads"] * (d // cfg["heads"])
    dims = {"q_proj": (d, d), "k_proj": (d, kv), "v_proj": (d, kv), "o_proj": (d, d),
            "gate_proj": (d, hid), "up_proj": (d, hid), "down_proj": (hid, d)}
    for l in range(cfg["layers"]):
        for t in targets:
            i, o = dims[t]
            P[f"layers.{l}.{t}.lora_A"] = (0.3 * torch.randn(rank, i, generator=gen)).float().double()
            P[f"layers.{l}.{t}.lora_B"] = (0.3 * torch.randn(o, rank, generator=gen)).float().double()
    return {"scale": alpha / rank, "targets": targets, "rank": rank, "alpha": alpha}


def fmt(values):
    return " ".join(repr(float(v)) for v in values)


def write_case_header(out, name, cfg, lora, B, T, tokens, targets, positions, segments):
    """The lines every golden case starts with (the Java loaders read them in this order)."""
    out.write(f"case {name}\n")
    out.write("config " + " ".join(str(cfg[k]) for k in
              ["dim", "hidden", "layers", "heads", "kv_heads", "vocab", "max_seq", "eps", "theta"])
              + f" {int(cfg['tied'])} {int(cfg['qkv_bias'])}\n")
    if lora:
        out.write(f"lora {lora['rank']} {lora['alpha']} {','.join(lora['targets'])}\n")
    out.write(f"batch {B} {T}\n")
    for label, arr in [("tokens", tokens), ("targets", targets), ("positions", positions), ("segments", segments)]:
        out.write(label + " " + " ".join(str(int(v)) for v in arr) + "\n")


def write_params_and_grads(out, P, trainable):
    """Every parameter, then the gradient of each trainable one, then the case's end marker."""
    for k, v in P.items():
        out.write(f"tensor {k} {v.numel()} {fmt(v.detach().flatten().tolist())}\n")
    for k in trainable:
        out.write(f"grad {k} {P[k].numel()} {fmt(P[k].grad.flatten().tolist())}\n")
    out.write("end\n")


def write_case(out, name, cfg, gen, lora_spec=None):
    P = make_params(cfg, gen)
    lora = make_lora(cfg, P, gen, *lora_spec) if lora_spec else None
    B, T = 2, 9
    V = cfg["vocab"]
    tokens = torch.randint(0, V, (B * T,), generator=gen)
    targets = torch.randint(0, V, (B * T,), generator=gen)
    targets[[3, 10, 11]] = -1
    positions = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 0, 1, 2, 3, 4])
    segments = torch.tensor([0] * 9 + [1] * 4 + [2] * 5)
    trainable = [k for k in P if (lora is None) != ("lora_" in k)]
    for k in trainable:
        P[k].requires_grad_(True)
    loss = forward(cfg, P, tokens, targets, positions, segments, B, T, lora)
    loss.backward()
    write_case_header(out, name, cfg, lora, B, T, tokens, targets, positions, segments)
    out.write(f"loss {float(loss)!r}\n")
    write_params_and_grads(out, P, trainable)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "engine/src/test/resources/train/torch_golden.txt"
    gen = torch.Generator().manual_seed(20261127)
    base = dict(dim=16, hidden=24, layers=2, heads=4, kv_heads=2, vocab=13, max_seq=16, eps=1e-5,
                theta=10000.0, tied=False, qkv_bias=False)
    with open(path, "w") as out:
        out.write(f"# generated by tools/torch_grad_reference.py with torch {torch.__version__}\n")
        write_case(out, "gqa_untied", base, gen)
        write_case(out, "tied_qkv_bias", dict(base, kv_heads=1, tied=True, qkv_bias=True, theta=500.0), gen)
        write_case(out, "lora_all_targets", base, gen,
                   (3, 6.0, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))


if __name__ == "__main__":
    main()
