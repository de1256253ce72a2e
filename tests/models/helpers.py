"""Small input builders shared by the model tests."""

from __future__ import annotations

import torch


def random_onehot(n: int, length: int, channels: int = 4, seed: int = 0) -> torch.Tensor:
    """Return random one-hot sequences ``(N, A, L)`` as float32."""
    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, channels, (n, length), generator=generator)
    # (N, L, A) -> (N, A, L)
    return torch.nn.functional.one_hot(codes, channels).float().transpose(1, 2)


def random_tokens(n: int, length: int, vocab_size: int = 68, seed: int = 0) -> torch.Tensor:
    """Return random token ids ``(N, T)`` that avoid the padding id 0."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(1, vocab_size, (n, length), generator=generator)


def lengths_to_mask(lengths: list[int], length: int) -> torch.Tensor:
    """Return a ``(N, L)`` bool mask, True for the first ``lengths[i]`` positions."""
    return torch.arange(length)[None, :] < torch.tensor(lengths)[:, None]
