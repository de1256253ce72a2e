"""Building blocks shared by the model families.

Convolutional blocks work on one-hot or feature maps ``(N, C, L)``; the
transformer pieces work on ``(N, T, D)``. Masks are ``bool`` with True at
real positions and False at padding.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from bioseq.errors import SequenceError


def check_lengths(mask: torch.Tensor, max_len: int | None, chunking: bool = False,
                  can_chunk: bool = True) -> int:
    """Return the longest real length in the batch after checking every length.

    Parameters
    ----------
    mask : torch.Tensor of shape (N, L), dtype bool
        True at real positions.
    max_len : int or None
        The model's limit; None means no limit.
    chunking : bool, default=False
        Whether the model scores long inputs as windows instead of raising.
    can_chunk : bool, default=True
        Whether the model family offers chunking, which the message then suggests.

    Raises
    ------
    SequenceError
        If a sequence is empty, because pooling over no positions has no
        value, or longer than ``max_len`` while chunking is off.
    """
    lengths = mask.sum(dim=1)
    if lengths.numel() == 0:
        return 0
    if bool((lengths == 0).any()):
        index = int((lengths == 0).nonzero()[0, 0])
        raise SequenceError(
            f"sequence {index} of the batch is empty (length 0); remove empty records "
            "before scoring"
        )
    longest = int(lengths.max())
    if max_len is not None and longest > max_len and not chunking:
        index = int(lengths.argmax())
        advice = "truncate or tile the input explicitly"
        if can_chunk:
            advice += ", or build the model with chunking=True to score overlapping windows"
        else:
            advice += ", or build the model with a larger max_len"
        raise SequenceError(
            f"sequence {index} of the batch has length {longest}, longer than the model's "
            f"max_len {max_len}; {advice}"
        )
    return longest


class ConvBlock(nn.Module):
    """Convolution, optional batch norm, ReLU, dropout and max pooling.

    The convolution uses "same" padding, so the length only changes in the
    pooling step (``ceil(L / pool)``).

    Parameters
    ----------
    in_channels : int
        Input channels ``C_in``.
    filters : int
        Output channels ``C_out``.
    kernel_size : int
        Convolution width in positions.
    dilation : int, default=1
        Spacing between kernel taps.
    batch_norm : bool, default=True
        Whether to normalise the convolution output.
    dropout : float, default=0.0
        Dropout probability after the activation.
    pool : int, default=1
        Max-pooling width and stride; 1 means no pooling.
    residual : bool, default=False
        Whether to add the block input to its output before pooling. A 1x1
        convolution matches the channels when ``in_channels != filters``.
    """

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int,
        dilation: int = 1,
        batch_norm: bool = True,
        dropout: float = 0.0,
        pool: int = 1,
        residual: bool = False,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            in_channels, filters, kernel_size, dilation=dilation, padding="same",
            bias=not batch_norm,
        )
        self.norm = nn.BatchNorm1d(filters) if batch_norm else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.pool = pool
        self.residual = residual
        self.shortcut: nn.Module = nn.Identity()
        if residual and in_channels != filters:
            self.shortcut = nn.Conv1d(in_channels, filters, 1, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[
        torch.Tensor, torch.Tensor | None
    ]:
        """Apply the block to ``x`` of shape ``(N, C_in, L)``.

        Returns the output ``(N, C_out, L')`` with padded positions set to
        zero, and the mask downsampled to ``(N, L')`` (None stays None).
        """
        out = self.dropout(F.relu(self.norm(self.conv(x))))
        if self.residual:
            out = out + self.shortcut(x)
        if self.pool > 1:
            if mask is not None:
                # Padded positions must not win the max, so they become -inf first.
                out = out.masked_fill(~mask[:, None, :], float("-inf"))
                # A pooled position is real when any position in its window is real.
                pooled = F.max_pool1d(mask[:, None, :].float(), self.pool, self.pool,
                                      ceil_mode=True)
                mask = pooled[:, 0, :] > 0
            out = F.max_pool1d(out, self.pool, self.pool, ceil_mode=True)
        if mask is not None:
            out = out.masked_fill(~mask[:, None, :], 0.0)
        return out, mask


def global_pool(
    x: torch.Tensor, mask: torch.Tensor | None, mode: Literal["max", "avg", "maxavg"]
) -> torch.Tensor:
    """Pool ``(N, C, L)`` over the length, ignoring padded positions.

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, L)
    mask : torch.Tensor of shape (N, L), dtype bool, or None
        True at real positions; None means every position is real.
    mode : {"max", "avg", "maxavg"}
        "maxavg" concatenates both, giving ``(N, 2C)``.

    Returns
    -------
    torch.Tensor of shape (N, C) or (N, 2C)
    """
    if mask is None:
        mask = torch.ones(x.shape[0], x.shape[2], dtype=torch.bool, device=x.device)
    valid = mask[:, None, :]
    pooled = []
    if mode in ("max", "maxavg"):
        pooled.append(x.masked_fill(~valid, float("-inf")).amax(dim=2))
    if mode in ("avg", "maxavg"):
        counts = valid.sum(dim=2).clamp(min=1).to(x.dtype)
        pooled.append((x * valid.to(x.dtype)).sum(dim=2) / counts)
    return torch.cat(pooled, dim=1)


def dense_head(
    in_features: int, hidden: list[int], n_outputs: int, dropout: float
) -> nn.Sequential:
    """Build a multilayer perceptron: Linear, ReLU, Dropout per hidden layer, then a Linear."""
    layers: list[nn.Module] = []
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def sinusoidal_table(n_positions: int, d_model: int) -> torch.Tensor:
    """Build the fixed sine/cosine position table ``(n_positions, d_model)``."""
    positions = torch.arange(n_positions, dtype=torch.float32)[:, None]
    frequencies = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(n_positions, d_model)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies[: d_model // 2])
    return table


def rotate_half_pairs(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Apply a rotary position embedding to ``x`` of shape ``(N, H, T, d_head)``.

    Dimension ``i`` of the first half is rotated together with dimension
    ``i`` of the second half by the angle of its frequency times the
    position. ``cos`` and ``sin`` are ``(T, d_head / 2)``.
    """
    first, second = x.chunk(2, dim=-1)
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1)


class SelfAttention(nn.Module):
    """Multi-head self-attention through ``scaled_dot_product_attention``.

    Parameters
    ----------
    d_model : int
        Width of the token vectors.
    n_heads : int
        Number of heads; must divide ``d_model``.
    dropout : float
        Attention dropout probability, applied only in training mode.
    rotary : bool
        Whether to rotate queries and keys by their positions.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float, rotary: bool) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.dropout = dropout
        self.rotary = rotary
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                rotation: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Attend over ``x`` ``(N, T, D)``; padded keys (mask False) get no weight."""
        n, t, d = x.shape
        # (N, T, 3D) -> (3, N, H, T, d_head)
        qkv = self.qkv(x).reshape(n, t, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.rotary and rotation is not None:
            # Under autocast q and k may be half precision while the tables are float32.
            cos, sin = rotation[0].to(q.dtype), rotation[1].to(q.dtype)
            q = rotate_half_pairs(q, cos, sin)
            k = rotate_half_pairs(k, cos, sin)
        attn_mask = None if mask is None else mask[:, None, None, :]
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0
        )
        # (N, H, T, d_head) -> (N, T, D)
        return self.out(out.transpose(1, 2).reshape(n, t, d))


class TransformerBlock(nn.Module):
    """Pre-norm transformer layer: ``x + attn(LN(x))``, then ``x + ff(LN(x))``."""

    def __init__(self, d_model: int, n_heads: int, ff_dim: int, dropout: float,
                 rotary: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = SelfAttention(d_model, n_heads, dropout, rotary)
        self.norm2 = nn.LayerNorm(d_model)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, ff_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_dim, d_model)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                rotation: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Apply the layer to ``x`` ``(N, T, D)`` with key mask ``(N, T)``."""
        x = x + self.dropout(self.attention(self.norm1(x), mask, rotation))
        return x + self.dropout(self.feedforward(self.norm2(x)))
