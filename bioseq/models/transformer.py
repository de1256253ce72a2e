"""The transformer family: k-mer tokens or one-hot through a convolutional stem.

Token input is ``(N, T)`` int64 ids from the k-mer tokenizer with ``[PAD]``
at ``pad_id`` (0). One-hot input is ``(N, A, L)``; a convolution maps it to
``(N, L, D)`` token vectors. A learned ``[CLS]`` vector is prepended inside
the model, so the tokenizer's own special tokens are optional. Layers are
pre-norm and attend through ``torch.nn.functional.scaled_dot_product_attention``
with padded keys masked out.

Inputs longer than ``max_len`` (tokens, or residues for one-hot input) raise
:class:`~bioseq.errors.SequenceError` unless the model was built with
``chunking=True``. Then each sequence is cut into windows of ``max_len``
positions every ``chunk_stride`` positions (the last window ends at the
sequence end), every window is scored and the window logits are averaged
(``chunk_pool="mean"``) or maxed (``"max"``).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from bioseq.errors import ConfigError
from bioseq.models.blocks import TransformerBlock, check_lengths, sinusoidal_table

POSITION_KINDS = ("sinusoidal", "learned", "rotary")
POOLINGS = ("cls", "mean")
CHUNK_POOLS = ("mean", "max")


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Return the start of every window covering ``length`` positions.

    Windows start every ``stride`` positions, and one more window is added
    so that the last one ends exactly at ``length``. A sequence that fits
    gets the single start 0.

    Examples
    --------
    >>> window_starts(10, 4, 3)
    [0, 3, 6]
    >>> window_starts(11, 4, 3)
    [0, 3, 6, 7]
    >>> window_starts(3, 4, 3)
    [0]
    """
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


class TransformerClassifier(nn.Module):
    """A pre-norm transformer encoder over k-mer tokens or one-hot residues.

    Parameters
    ----------
    n_outputs : int
        Number of logits.
    input_kind : {"tokens", "onehot"}, default="tokens"
        Token ids ``(N, T)`` or one-hot ``(N, A, L)`` through a conv stem.
    vocab_size : int, default=68
        Number of token ids (tokens input); the default fits the k-mer
        tokenizer's DNA 3-mers (64) plus its four special tokens.
    in_channels : int, default=4
        Alphabet size ``A`` (one-hot input).
    d_model : int, default=128
        Width of the token vectors.
    n_heads : int, default=4
        Attention heads; must divide ``d_model``.
    n_layers : int, default=4
        Transformer layers.
    ff_dim : int or None, default=None
        Feed-forward width; None means ``4 * d_model``.
    dropout : float, default=0.1
        Dropout in attention, feed-forward and embeddings.
    positions : {"sinusoidal", "learned", "rotary"}, default="sinusoidal"
        Position encoding.
    pooling : {"cls", "mean"}, default="cls"
        Sequence vector: the prepended ``[CLS]`` position or the mean of real
        positions.
    max_len : int, default=200
        Maximum input length in tokens (tokens input) or residues (one-hot input).
    stem_kernel : int, default=9
        Width of the stem convolution (one-hot input).
    stem_pool : int, default=1
        Max-pooling width of the stem; it divides the number of positions the
        layers attend over.
    pad_id : int, default=0
        Token id of ``[PAD]``; used to build the mask when none is given.
    chunking : bool, default=False
        Score inputs longer than ``max_len`` as overlapping windows.
    chunk_stride : int or None, default=None
        Step between windows; None means ``max_len // 2``.
    chunk_pool : {"mean", "max"}, default="mean"
        How window logits combine into one sequence's logits.

    Examples
    --------
    >>> import torch
    >>> model = TransformerClassifier(n_outputs=1, d_model=16, n_heads=2, n_layers=1)
    >>> model(torch.randint(1, 68, (2, 30))).shape
    torch.Size([2, 1])
    """

    model_name = "transformer"
    #: Class default; each instance sets its own from the ``input_kind`` argument.
    input_kind = "tokens"

    def __init__(
        self,
        n_outputs: int,
        input_kind: Literal["tokens", "onehot"] = "tokens",
        vocab_size: int = 68,
        in_channels: int = 4,
        d_model: int = 128,
        n_heads: int = 4,
        n_layers: int = 4,
        ff_dim: int | None = None,
        dropout: float = 0.1,
        positions: Literal["sinusoidal", "learned", "rotary"] = "sinusoidal",
        pooling: Literal["cls", "mean"] = "cls",
        max_len: int = 200,
        stem_kernel: int = 9,
        stem_pool: int = 1,
        pad_id: int = 0,
        chunking: bool = False,
        chunk_stride: int | None = None,
        chunk_pool: Literal["mean", "max"] = "mean",
    ) -> None:
        super().__init__()
        self._validate(input_kind, positions, pooling, chunk_pool, d_model, n_heads, max_len,
                       n_outputs, chunk_stride, stem_pool)
        ff_dim = ff_dim or 4 * d_model
        chunk_stride = chunk_stride or max(max_len // 2, 1)
        self.config = {
            "n_outputs": n_outputs, "input_kind": input_kind, "vocab_size": vocab_size,
            "in_channels": in_channels, "d_model": d_model, "n_heads": n_heads,
            "n_layers": n_layers, "ff_dim": ff_dim, "dropout": dropout,
            "positions": positions, "pooling": pooling, "max_len": max_len,
            "stem_kernel": stem_kernel, "stem_pool": stem_pool, "pad_id": pad_id,
            "chunking": chunking, "chunk_stride": chunk_stride, "chunk_pool": chunk_pool,
        }
        self.input_kind = input_kind
        self.max_len = max_len
        self.pad_id = pad_id
        self.positions = positions
        self.pooling = pooling
        self.chunking = chunking
        self.chunk_stride = chunk_stride
        self.chunk_pool = chunk_pool
        self.stem_pool = stem_pool
        self.n_heads = n_heads

        if input_kind == "tokens":
            self.embedding: nn.Module = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        else:
            self.embedding = nn.Conv1d(in_channels, d_model, stem_kernel, padding="same")
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model)) if pooling == "cls" else None
        # Positions the layers see: the stem's pooled length plus one for [CLS].
        n_positions = math.ceil(max_len / stem_pool) + 1
        if positions == "learned":
            self.position_embedding = nn.Embedding(n_positions, d_model)
        elif positions == "sinusoidal":
            self.register_buffer("position_table", sinusoidal_table(n_positions, d_model),
                                 persistent=False)
        self.embedding_dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            TransformerBlock(d_model, n_heads, ff_dim, dropout, rotary=positions == "rotary")
            for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_outputs)

    @staticmethod
    def _validate(input_kind: str, positions: str, pooling: str, chunk_pool: str, d_model: int,
                  n_heads: int, max_len: int, n_outputs: int, chunk_stride: int | None,
                  stem_pool: int) -> None:
        choices = {
            "input_kind": (input_kind, ("tokens", "onehot")),
            "positions": (positions, POSITION_KINDS),
            "pooling": (pooling, POOLINGS),
            "chunk_pool": (chunk_pool, CHUNK_POOLS),
        }
        for key, (value, allowed) in choices.items():
            if value not in allowed:
                raise ConfigError(f"unknown {key} {value!r}; choose one of {', '.join(allowed)}")
        if n_heads < 1 or d_model % n_heads:
            raise ConfigError(f"n_heads ({n_heads}) must divide d_model ({d_model})")
        if positions == "rotary" and (d_model // n_heads) % 2:
            raise ConfigError(
                f"rotary positions need an even head width, got d_model/n_heads = "
                f"{d_model // n_heads}"
            )
        for key, value in (("max_len", max_len), ("n_outputs", n_outputs),
                           ("stem_pool", stem_pool)):
            if value < 1:
                raise ConfigError(f"{key} must be positive, got {value}")
        if chunk_stride is not None and not 1 <= chunk_stride <= max_len:
            raise ConfigError(
                f"chunk_stride must be between 1 and max_len ({max_len}), got {chunk_stride}"
            )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score token or one-hot sequences.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, T)`` int64 token ids, or ``(N, A, L)`` one-hot.
        mask : torch.Tensor of shape (N, T) or (N, L), dtype bool, or None
            True at real positions. None means ``x != pad_id`` for tokens and
            every position for one-hot.

        Returns
        -------
        torch.Tensor of shape (N, n_outputs)
            Logits.

        Raises
        ------
        SequenceError
            If a sequence is empty, or longer than ``max_len`` while chunking
            is off.
        """
        length_dim = 1 if self.input_kind == "tokens" else 2
        if mask is None:
            if self.input_kind == "tokens":
                mask = x != self.pad_id
            else:
                mask = torch.ones(x.shape[0], x.shape[2], dtype=torch.bool, device=x.device)
        mask = mask.bool()
        longest = check_lengths(mask, self.max_len, self.chunking)
        if x.shape[length_dim] > self.max_len and longest <= self.max_len:
            # Only padding lies beyond max_len, so drop it.
            x = x.narrow(length_dim, 0, self.max_len)
            mask = mask[:, : self.max_len]
        if x.shape[length_dim] > self.max_len:
            return self._score_windows(x, mask)
        return self._score(x, mask)

    def _score_windows(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score every window of every sequence and pool the logits per sequence."""
        records, starts = [], []
        for index, length in enumerate(mask.sum(dim=1).tolist()):
            for start in window_starts(int(length), self.max_len, self.chunk_stride):
                records.append(index)
                starts.append(start)
        record_index = torch.tensor(records, device=x.device)
        positions = (torch.tensor(starts, device=x.device)[:, None]
                     + torch.arange(self.max_len, device=x.device))
        window_mask = mask[record_index[:, None], positions]
        if self.input_kind == "tokens":
            windows = x[record_index[:, None], positions]
        else:
            # (N, A, L) -> (N, L, A) to index positions, then (P, W, A) -> (P, A, W).
            windows = x.transpose(1, 2)[record_index[:, None], positions].transpose(1, 2)
        logits = self._score(windows, window_mask)
        n_records = x.shape[0]
        if self.chunk_pool == "max":
            pooled = torch.full((n_records, logits.shape[1]), float("-inf"),
                                dtype=logits.dtype, device=logits.device)
            return pooled.scatter_reduce(0, record_index[:, None].expand_as(logits), logits,
                                         reduce="amax")
        sums = torch.zeros(n_records, logits.shape[1], dtype=logits.dtype, device=logits.device)
        sums.index_add_(0, record_index, logits)
        counts = torch.bincount(record_index, minlength=n_records).clamp(min=1)
        return sums / counts[:, None].to(logits.dtype)

    def _score(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score inputs that fit ``max_len``."""
        if self.input_kind == "tokens":
            tokens = self.embedding(x)
        else:
            features = F.gelu(self.embedding(x * mask[:, None, :].to(x.dtype)))
            if self.stem_pool > 1:
                # Padded positions must not win the max, so they become -inf first.
                features = features.masked_fill(~mask[:, None, :], float("-inf"))
                features = F.max_pool1d(features, self.stem_pool, self.stem_pool, ceil_mode=True)
                pooled = F.max_pool1d(mask[:, None, :].float(), self.stem_pool, self.stem_pool,
                                      ceil_mode=True)
                mask = pooled[:, 0, :] > 0
                features = features.masked_fill(~mask[:, None, :], 0.0)
            # (N, D, L) -> (N, L, D)
            tokens = features.transpose(1, 2)
        if self.cls is not None:
            tokens = torch.cat([self.cls.expand(tokens.shape[0], -1, -1), tokens], dim=1)
            mask = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
        n_positions = tokens.shape[1]
        rotation = None
        if self.positions == "learned":
            tokens = tokens + self.position_embedding.weight[:n_positions]
        elif self.positions == "sinusoidal":
            tokens = tokens + self.position_table[:n_positions].to(tokens.dtype)
        else:
            rotation = self._rotation(n_positions, tokens)
        hidden = self.embedding_dropout(tokens)
        for layer in self.layers:
            hidden = layer(hidden, mask, rotation)
        hidden = self.norm(hidden)
        if self.cls is not None:
            summary = hidden[:, 0]
        else:
            weights = mask[:, :, None].to(hidden.dtype)
            summary = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
        return self.head(summary)

    def _rotation(self, n_positions: int, tokens: torch.Tensor) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        """Build the rotary ``cos`` and ``sin`` tables ``(T, d_head / 2)``."""
        d_head = tokens.shape[2] // self.n_heads
        frequencies = 1.0 / (10000.0 ** (torch.arange(0, d_head, 2, device=tokens.device,
                                                      dtype=torch.float32) / d_head))
        angles = torch.arange(n_positions, device=tokens.device, dtype=torch.float32)[:, None]
        angles = angles * frequencies[None, :]
        return angles.cos().to(tokens.dtype), angles.sin().to(tokens.dtype)
