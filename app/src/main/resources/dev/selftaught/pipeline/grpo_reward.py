"""Verifiable reward for training an LLM judge with TRL's GRPOTrainer on selftaught's synthetic pairs.

Written by selftaught next to grpo.jsonl. Each dataset row holds a judge prompt ("prompt", chat
turns) and the verdict that is correct by construction ("gold": "A" or "B"). A completion earns
1.0 when the verdict parsed from it equals the gold one and 0.0 otherwise (no verdict, a tie, or
both markers at once). The parsing rule is selftaught's "{verdict_rule}" rule (spec section 3.3),
the one its embedded GRPO trainer uses:
  sft:         [[A]] and [[B]] both present -> no verdict; else the first of [[A]], [[B]], [[C]] (tie) present
  dpo:         two or more "[[" -> tie; else [[A]], [[B]], [[C]] (tie), in that order
  rewardbench: [[A]] anywhere wins, else [[B]], else no verdict
Markers are case-sensitive. Use with:
    from grpo_reward import judge_reward
    GRPOTrainer(model=..., reward_funcs=judge_reward, train_dataset=load_dataset("json", data_files="grpo.jsonl")["train"], ...)
"""

RULE = "{verdict_rule}"


def parse_verdict(text, rule=RULE):
    a, b, c = "[[A]]" in text, "[[B]]" in text, "[[C]]" in text
    if rule == "sft":
        if a and b:
            return "none"
        return "A" if a else "B" if b else "tie" if c else "none"
    if rule == "dpo":
        first = text.find("[[")
        if first >= 0 and text.find("[[", first + 1) >= 0:
            return "tie"
        return "A" if a else "B" if b else "tie" if c else "none"
    if rule == "rewardbench":
        return "A" if a else "B" if b else "none"
    raise ValueError("unknown verdict rule " + repr(rule))


def _text(completion):
    # conversational datasets give [{"role": "assistant", "content": ...}], standard ones a string
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def judge_reward(completions, gold, **kwargs):
    """1.0 where the parsed verdict equals the row's gold verdict, else 0.0 (TRL reward-function signature)."""
    return [1.0 if parse_verdict(_text(c)) == g else 0.0 for c, g in zip(completions, gold)]


if __name__ == "__main__":
    # self-check: python3 grpo_reward.py
    assert judge_reward(["The better one is [[A]]."], ["A"]) == [1.0]
    assert judge_reward([[{"role": "assistant", "content": "[[B]]"}]], ["A"]) == [0.0]
    assert judge_reward(["no verdict"], ["B"]) == [0.0]
    print("ok")
