"""Compare bioseq's models and model file with plain PyTorch, side by side.

Usage::

    nice -n 10 .venv/bin/python benchmarks/models.py [--threads 2] [--repeats 15]

Each row times bioseq and its PyTorch counterpart alternately in the same
process and reports medians and the ratio bioseq / PyTorch (below 1 means
bioseq is faster):

- transformer forward: ``token-transformer`` at 4 layers, ``d_model`` 128,
  200 tokens, against ``torch.nn.TransformerEncoder`` (pre-norm, same sizes,
  key padding mask) with the same embedding and head.
- basset forward: the ``basset`` preset with a padding mask against the same
  layers as a plain ``nn.Sequential`` without masking.
- model save and load: ``save_model``/``load_model`` (safetensors plus JSON
  metadata, rebuilt through the registry) against ``torch.save`` of the
  state dict and ``torch.load(weights_only=True)`` into a rebuilt model.

The Markdown table is printed to stdout.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from bioseq.models.modelfile import load_model, save_model
from bioseq.models.registry import get_model


def time_pair(first: Callable[[], object], second: Callable[[], object],
              repeats: int) -> tuple[float, float]:
    """Run the two callables alternately and return their median seconds."""
    first()
    second()
    first_times, second_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        first()
        first_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        second()
        second_times.append(time.perf_counter() - start)
    return statistics.median(first_times), statistics.median(second_times)


class TorchTokenTransformer(nn.Module):
    """Reference model: embedding, [CLS], sinusoidal positions and nn.TransformerEncoder."""

    def __init__(self, reference: nn.Module) -> None:
        super().__init__()
        config = reference.config
        self.embedding = nn.Embedding(config["vocab_size"], config["d_model"], padding_idx=0)
        self.cls = nn.Parameter(torch.zeros(1, 1, config["d_model"]))
        self.register_buffer("positions", reference.position_table.clone())
        layer = nn.TransformerEncoderLayer(
            config["d_model"], config["n_heads"], config["ff_dim"], config["dropout"],
            activation="gelu", batch_first=True, norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, config["n_layers"],
                                             norm=nn.LayerNorm(config["d_model"]),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(config["d_model"], config["n_outputs"])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden = self.embedding(tokens)
        hidden = torch.cat([self.cls.expand(hidden.shape[0], -1, -1), hidden], dim=1)
        hidden = hidden + self.positions[: hidden.shape[1]]
        padding = torch.cat([torch.zeros_like(tokens[:, :1], dtype=torch.bool), tokens == 0],
                            dim=1)
        hidden = self.encoder(hidden, src_key_padding_mask=padding)
        return self.head(hidden[:, 0])


def plain_basset(reference: nn.Module) -> nn.Sequential:
    """Build the basset layers as an unmasked ``nn.Sequential``."""
    layers: list[nn.Module] = []
    width = reference.config["in_channels"]
    for spec in reference.config["conv_layers"]:
        layers += [nn.Conv1d(width, spec["filters"], spec["kernel_size"], padding="same",
                             bias=False),
                   nn.BatchNorm1d(spec["filters"]), nn.ReLU(),
                   nn.MaxPool1d(spec["pool"], ceil_mode=True)]
        width = spec["filters"]
    layers += [nn.AdaptiveMaxPool1d(1), nn.Flatten()]
    for size in reference.config["hidden"]:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(reference.config["dropout"])]
        width = size
    layers.append(nn.Linear(width, reference.config["n_outputs"]))
    return nn.Sequential(*layers)


def bench_transformer(repeats: int) -> tuple[str, float, float]:
    model = get_model("token-transformer", n_outputs=2, vocab_size=4100).eval()
    reference = TorchTokenTransformer(model).eval()
    tokens = torch.randint(4, 4100, (64, 200))
    tokens[::2, 150:] = 0
    with torch.inference_mode():
        ours, theirs = time_pair(lambda: model(tokens), lambda: reference(tokens), repeats)
    return "transformer forward, 64 x 200 tokens", ours, theirs


def bench_basset(repeats: int) -> tuple[str, float, float]:
    model = get_model("basset", n_outputs=2).eval()
    reference = plain_basset(model).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (64, 600)), 4).float().transpose(1, 2)
    mask = torch.ones(64, 600, dtype=torch.bool)
    mask[::2, 450:] = False
    with torch.inference_mode():
        ours, theirs = time_pair(lambda: model(x, mask), lambda: reference(x), repeats)
    return "basset forward, 64 x 600 bp one-hot", ours, theirs


def bench_model_file(repeats: int) -> list[tuple[str, float, float]]:
    model = get_model("basset", n_outputs=2).eval()
    folder = Path(tempfile.mkdtemp())
    ours_path = folder / "model.safetensors"
    theirs_path = folder / "model.pt"
    metadata = {"task": "binary", "class_names": ["a", "b"]}

    def torch_load() -> nn.Module:
        rebuilt = get_model("basset", n_outputs=2)
        rebuilt.load_state_dict(torch.load(theirs_path, weights_only=True))
        return rebuilt

    save = time_pair(lambda: save_model(ours_path, model, metadata),
                     lambda: torch.save(model.state_dict(), theirs_path), repeats)
    load = time_pair(lambda: load_model(ours_path), torch_load, repeats)
    return [("basset save (8.7 MB)", *save), ("basset load", *load)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per side")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    rows = [bench_transformer(args.repeats), bench_basset(args.repeats),
            *bench_model_file(args.repeats)]
    print(f"torch {torch.__version__}, {args.threads} threads, median of {args.repeats} runs\n")
    print("| case | bioseq (ms) | PyTorch (ms) | bioseq / PyTorch |")
    print("|---|---:|---:|---:|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours * 1000:.1f} | {theirs * 1000:.1f} | {ours / theirs:.2f} |")


if __name__ == "__main__":
    main()
