#!/usr/bin/env python3
"""Independent reader of an HF Llama/Qwen2 checkpoint directory (and a PEFT LoRA adapter) and a
float64 PyTorch forward pass over it, for the checkpoint tests (HfTorchReferenceTest,
PeftTorchReferenceTest). Written from the formats' descriptions (docs/formats.md), sharing no
code with the Java engine, and reading the files the way transformers/PEFT name things:

  - config.json: architectures / model_type, hidden_size, intermediate_size, num_hidden_layers,
    num_attention_heads, num_key_value_heads, head_dim, vocab_size, rms_norm_eps,
    tie_word_embeddings, attention_bias (Qwen2: always biased q/k/v), hidden_act;
    RoPE from the transformers v4 fields (rope_theta + rope_scaling) or the v5 field
    (rope_parameters), chosen by --rope so that a test can check both say the same thing.
  - weights: model.safetensors, else model.safetensors.index.json's weight_map over shards;
    F32, F16 and BF16 decoded here bit by bit. A tensor transformers' LlamaForCausalLM would not
    use, or one it needs and cannot find, is an error (transformers would warn, or initialise it
    at random).
  - q/k rows in "rotate half" order: pair i of a head is (i, i + head_dim/2).
  - PEFT (--adapter DIR): adapter_config.json (peft_type LORA, r, lora_alpha, target_modules,
    use_rslora, bias none, fan_in_fan_out false) and adapter_model.safetensors with tensors
    base_model.model.<module>.lora_A.weight [r, in] / lora_B.weight [out, r];
    W' = W + scale * B @ A, scale = lora_alpha / r (lora_alpha / sqrt(r) with rsLoRA).

Input on stdin, so that torch is imported once for many checkpoints: a JSON list of jobs
{"dir": DIR, "ids": [token ids], "rope": "v4"|"v5", "adapter": DIR or absent}. Output on stdout:
a JSON list, per job {"logits": [[...] per position]} or {"error": "what is wrong"}.

Run: echo '[{"dir": "out", "ids": [1, 5, 7]}]' | /usr/bin/python3 tools/hf_reference_forward.py
(Debian: apt-get install -y python3-torch). The Java tests skip when torch is missing.
"""
import json
import math
import os
import struct
import sys

import torch


class Bad(Exception):
    pass


def read_safetensors(path):
    """name -> float64 tensor, decoding the dtypes ourselves from the raw little-endian bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise Bad("%s: too short" % path)
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        shape = [int(d) for d in t["shape"]]
        count = 1
        for d in shape:
            count *= d
        chunk = bytearray(data[b:e])
        dt = t["dtype"]
        if dt == "F32":
            width = 4
            x = torch.frombuffer(chunk, dtype=torch.float32) if count else torch.zeros(0)
        elif dt == "F16":
            width = 2
            x = torch.frombuffer(chunk, dtype=torch.float16) if count else torch.zeros(0)
        elif dt == "BF16":
            width = 2
            # bfloat16 = the upper 16 bits of a float32
            h = torch.frombuffer(chunk, dtype=torch.int16).to(torch.int32) & 0xFFFF
            x = (h << 16).view(torch.float32)
        else:
            raise Bad("%s: tensor %s has dtype %s" % (path, name, dt))
        if e - b != count * width:
            raise Bad("%s: tensor %s: %d bytes for shape %s" % (path, name, e - b, shape))
        out[name] = x.to(torch.float64).reshape(shape).clone()
    return out


def read_weights(d):
    single = os.path.join(d, "model.safetensors")
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(single):  # transformers looks for the single file first
        return read_safetensors(single)
    if not os.path.exists(index):
        raise Bad("%s: neither model.safetensors nor model.safetensors.index.json" % d)
    idx = json.load(open(index))
    total = idx["metadata"]["total_size"]
    weights, seen_bytes = {}, 0
    for shard in sorted(set(idx["weight_map"].values())):
        part = read_safetensors(os.path.join(d, shard))
        for name, t in part.items():
            if idx["weight_map"].get(name) != shard:
                raise Bad("%s: tensor %s is in %s but the index says %s" % (d, name, shard, idx["weight_map"].get(name)))
            weights[name] = t
    if set(weights) != set(idx["weight_map"]):
        raise Bad("%s: index and shards disagree: %s" % (d, sorted(set(weights) ^ set(idx["weight_map"]))))
    return weights


def inv_freq(cfg, head_dim, layout):
    if layout == "v5":
        p = cfg["rope_parameters"]
        theta = float(p["rope_theta"])
        kind = p.get("rope_type", "default")
    else:
        theta = float(cfg["rope_theta"])
        p = cfg.get("rope_scaling") or {}
        kind = p.get("rope_type", p.get("type", "default"))
    inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    if kind == "default":
        return inv
    if kind != "llama3":
        raise Bad("rope type %s" % kind)
    factor, low, high = float(p["factor"]), float(p["low_freq_factor"]), float(p["high_freq_factor"])
    orig = float(p["original_max_position_embeddings"])
    out = []
    for f in inv.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < orig / high:  # high frequencies: unchanged
            out.append(f)
        elif wavelen > orig / low:  # low frequencies: divided by the factor
            out.append(f / factor)
        else:  # in between: blend the two by where the wavelength lies
            s = (orig / wavelen - low) / (high - low)
            out.append((1 - s) * f / factor + s * f)
    return torch.tensor(out, dtype=torch.float64)


def apply_adapter(weights, adir):
    ac = json.load(open(os.path.join(adir, "adapter_config.json")))
    if ac.get("peft_type") != "LORA" or ac.get("bias", "none") != "none" or ac.get("fan_in_fan_out", False):
        raise Bad("%s: not a plain LoRA adapter: %s" % (adir, ac))
    r = ac["r"]
    if not isinstance(r, int):
        raise Bad("r must be an integer, got %r" % (r,))
    scale = ac["lora_alpha"] / (math.sqrt(r) if ac.get("use_rslora", False) else r)
    targets = set(ac["target_modules"])
    lora = read_safetensors(os.path.join(adir, "adapter_model.safetensors"))
    used = set()
    for name in list(weights):
        if not name.endswith(".weight") or name.split(".")[-2] not in targets or not name.startswith("model.layers."):
            continue
        module = name[: -len(".weight")]
        an, bn = "base_model.model." + module + ".lora_A.weight", "base_model.model." + module + ".lora_B.weight"
        if an not in lora or bn not in lora:
            raise Bad("%s: no LoRA tensors for %s" % (adir, module))
        a, b, w = lora[an], lora[bn], weights[name]
        if list(a.shape) != [r, w.shape[1]] or list(b.shape) != [w.shape[0], r]:
            raise Bad("%s: %s shapes %s %s for weight %s" % (adir, module, list(a.shape), list(b.shape), list(w.shape)))
        weights[name] = w + scale * (b @ a)
        used.update((an, bn))
    if set(lora) != used:
        raise Bad("%s: tensors not applied: %s" % (adir, sorted(set(lora) - used)))


def forward(d, ids, layout, adapter):
    cfg = json.load(open(os.path.join(d, "config.json")))
    arch = cfg["architectures"][0]
    if arch not in ("LlamaForCausalLM", "Qwen2ForCausalLM") or cfg["model_type"] not in ("llama", "qwen2"):
        raise Bad("architecture %s / %s" % (arch, cfg["model_type"]))
    if cfg.get("hidden_act", "silu") != "silu":
        raise Bad("hidden_act %s" % cfg["hidden_act"])
    dim, nl, nh = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim") or dim // nh
    eps = float(cfg["rms_norm_eps"])
    bias = arch == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    w = read_weights(d)
    if adapter:
        apply_adapter(w, adapter)
    used = set()

    def get(name, shape):
        if name not in w:
            raise Bad("%s: missing tensor %s" % (d, name))
        if list(w[name].shape) != list(shape):
            raise Bad("%s: tensor %s has shape %s, config implies %s" % (d, name, list(w[name].shape), list(shape)))
        used.add(name)
        return w[name]

    def norm(x, g):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * g

    T = len(ids)
    emb = get("model.embed_tokens.weight", [cfg["vocab_size"], dim])
    x = emb[torch.tensor(ids)]
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq(cfg, hd, layout))  # [T, hd/2]
    cos, sin = torch.cat([freqs.cos()] * 2, -1), torch.cat([freqs.sin()] * 2, -1)

    def rope(v):  # v [T, heads, hd]; rotate half
        first, second = v[..., : hd // 2], v[..., hd // 2:]
        rot = torch.cat([-second, first], -1)
        return v * cos[:, None, :] + rot * sin[:, None, :]

    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(nl):
        p = "model.layers.%d." % l
        h = norm(x, get(p + "input_layernorm.weight", [dim]))
        q = h @ get(p + "self_attn.q_proj.weight", [nh * hd, dim]).T
        k = h @ get(p + "self_attn.k_proj.weight", [nkv * hd, dim]).T
        v = h @ get(p + "self_attn.v_proj.weight", [nkv * hd, dim]).T
        if bias:
            q = q + get(p + "self_attn.q_proj.bias", [nh * hd])
            k = k + get(p + "self_attn.k_proj.bias", [nkv * hd])
            v = v + get(p + "self_attn.v_proj.bias", [nkv * hd])
        q, k, v = rope(q.view(T, nh, hd)), rope(k.view(T, nkv, hd)), v.view(T, nkv, hd)
        heads = []
        for i in range(nh):
            j = i // (nh // nkv)  # query head i reads key/value head j
            s = q[:, i, :] @ k[:, j, :].T / math.sqrt(hd) + mask
            heads.append(torch.softmax(s, -1) @ v[:, j, :])
        x = x + torch.cat(heads, -1) @ get(p + "self_attn.o_proj.weight", [dim, nh * hd]).T
        h = norm(x, get(p + "post_attention_layernorm.weight", [dim]))
        g = h @ get(p + "mlp.gate_proj.weight", [cfg["intermediate_size"], dim]).T
        u = h @ get(p + "mlp.up_proj.weight", [cfg["intermediate_size"], dim]).T
        x = x + (torch.nn.functional.silu(g) * u) @ get(p + "mlp.down_proj.weight", [dim, cfg["intermediate_size"]]).T
    x = norm(x, get("model.norm.weight", [dim]))
    if cfg.get("tie_word_embeddings", False):  # LlamaConfig and Qwen2Config default
        if "lm_head.weight" in w:
            raise Bad("%s: tie_word_embeddings is true but lm_head.weight is stored" % d)
        head = emb
    else:
        head = get("lm_head.weight", [cfg["vocab_size"], dim])
    unused = set(w) - used
    if unused:
        raise Bad("%s: tensors LlamaForCausalLM would not use: %s" % (d, sorted(unused)))
    return x @ head.T


def main(argv):
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    results = []
    for job in json.load(sys.stdin):
        try:
            logits = forward(job["dir"], job["ids"], job.get("rope", "v4"), job.get("adapter"))
            results.append({"logits": logits.tolist()})
        except (Bad, KeyError, OSError, ValueError) as e:
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
