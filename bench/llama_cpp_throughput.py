"""llama.cpp's throughput on a GGUF model, measured the way aequo's `embedded_bench` example
measures the embedded backend: the same ChatML prompt, greedy decoding, the prompt timed up to
the first generated token and generation over the next 63; `AEQUO_THREADS`
threads (default 2), as the embedded backend.

    python bench/llama_cpp_throughput.py MODEL.gguf [RUNS]

Prints one line per run and the medians as `llama.cpp prompt_tok_s=… gen_tok_s=…`. Needs
`llama-cpp-python` (bench/probe_throughput.sh installs the pinned version into a venv).
"""

import os
import statistics
import sys
import time

from llama_cpp import Llama

THREADS = int(os.environ.get("AEQUO_THREADS", "2"))

PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n<|im_start|>user\nWrite a short paragraph about the history of bread making."
    "<|im_end|>\n<|im_start|>assistant\n"
)


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    llm = Llama(model_path=path, n_ctx=512, n_threads=THREADS, n_threads_batch=THREADS, n_batch=512, verbose=False, seed=0)
    n_prompt = len(llm.tokenize(PROMPT.encode(), add_bos=False, special=True))
    prompt_rates, gen_rates, cpu_rates = [], [], []
    tokens = llm.tokenize(PROMPT.encode(), add_bos=False, special=True)
    for i in range(runs + 1):
        # One greedy generation, timed at its first token (prompt evaluation, as aequo's
        # 1-token request) and over the next 63 (generation).
        n = 0
        llm.reset()  # n_tokens = 0, so generate() finds no prefix to reuse
        t, c = time.perf_counter(), time.process_time()
        for tok in llm.generate(tokens, top_k=1, temp=0.0, reset=True):
            n += 1
            if n == 1:
                prompt_time, prompt_cpu = time.perf_counter() - t, time.process_time() - c
                t, c = time.perf_counter(), time.process_time()
            if n == 64 or tok == llm.token_eos():
                break
        gen_time, gen_cpu = time.perf_counter() - t, time.process_time() - c
        if i == 0:
            continue  # warm-up
        prompt_rates.append(n_prompt / prompt_time)
        gen_rates.append((n - 1) / gen_time)
        cpu_rates.append((n - 1) / max(gen_cpu, 1e-9))
        print(
            f"run {i}: prompt {n_prompt} tokens in {prompt_time * 1e3:.1f} ms "
            f"({prompt_rates[-1]:.1f} tok/s); generation {n} tokens in "
            f"{gen_time * 1e3:.1f} ms after the first "
            f"({gen_rates[-1]:.1f} tok/s; {cpu_rates[-1]:.1f} per CPU-second)"
        )
    print(
        f"llama.cpp prompt_tok_s={statistics.median(prompt_rates):.1f} "
        f"gen_tok_s={statistics.median(gen_rates):.1f} "
        f"gen_tok_per_cpu_s={statistics.median(cpu_rates):.1f}"
    )


if __name__ == "__main__":
    main()
