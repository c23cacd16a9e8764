"""llama.cpp's throughput on a GGUF model, measured the way aequo's `embedded_bench` example
measures the embedded backend: the same ChatML prompt, greedy decoding, the prompt timed as a
1-token completion and generation as the rest of a 64-token completion; 2 threads.

    python bench/llama_cpp_throughput.py MODEL.gguf [RUNS]

Prints one line per run and the medians as `llama.cpp prompt_tok_s=… gen_tok_s=…`. Needs
`llama-cpp-python` (bench/probe_throughput.sh installs the pinned version into a venv).
"""

import statistics
import sys
import time

from llama_cpp import Llama

PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n<|im_start|>user\nWrite a short paragraph about the history of bread making."
    "<|im_end|>\n<|im_start|>assistant\n"
)


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    llm = Llama(model_path=path, n_ctx=512, n_threads=2, n_batch=512, verbose=False, seed=0)
    n_prompt = len(llm.tokenize(PROMPT.encode(), add_bos=False, special=True))
    prompt_rates, gen_rates = [], []
    for i in range(runs + 1):
        llm.reset()  # no prefix reuse between calls: the prompt is evaluated every time
        t = time.perf_counter()
        llm.create_completion(PROMPT, max_tokens=1, temperature=0.0)
        prompt_time = time.perf_counter() - t
        llm.reset()
        t = time.perf_counter()
        out = llm.create_completion(PROMPT, max_tokens=64, temperature=0.0)
        total = time.perf_counter() - t
        n_gen = out["usage"]["completion_tokens"]
        gen_time = max(total - prompt_time, 1e-9)
        if i == 0:
            continue  # warm-up
        prompt_rates.append(n_prompt / prompt_time)
        gen_rates.append((n_gen - 1) / gen_time)
        print(
            f"run {i}: prompt {n_prompt} tokens in {prompt_time * 1e3:.1f} ms "
            f"({prompt_rates[-1]:.1f} tok/s); generation {n_gen} tokens in "
            f"{gen_time * 1e3:.1f} ms ({gen_rates[-1]:.1f} tok/s)"
        )
    print(
        f"llama.cpp prompt_tok_s={statistics.median(prompt_rates):.1f} "
        f"gen_tok_s={statistics.median(gen_rates):.1f}"
    )


if __name__ == "__main__":
    main()
