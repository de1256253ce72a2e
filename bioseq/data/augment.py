"""Augmentations of coded batches, run on the device before encoding.

All functions take ``codes`` of shape ``(N, L)`` ``uint8`` with
``PAD_CODE`` at padding and return a new tensor on the same device. The
residues of each row are assumed to be one contiguous run (padding on the
right, left or both sides), as :func:`bioseq.encode.codes.to_fixed_length`
lays them out.

Examples
--------
>>> import torch
>>> from bioseq.alphabet import DNA
>>> codes = torch.tensor([[0, 0, 1, 255]], dtype=torch.uint8)  # AAC + padding
>>> table = complement_table(DNA)
>>> DNA.decode(reverse_complement_codes(codes, table)[0, :3].numpy())
'GTT'
"""

from __future__ import annotations

import torch

from bioseq.alphabet import PAD_CODE, Alphabet


def complement_table(alphabet: Alphabet, device: torch.device | str = "cpu") -> torch.Tensor:
    """Return the ``(256,)`` code-to-complement lookup of a nucleic-acid alphabet.

    Raises
    ------
    bioseq.errors.SequenceError
        For the protein alphabet, which has no complement.
    """
    return torch.as_tensor(alphabet.complement_codes(), dtype=torch.long, device=device)


def _residue_span(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    present = codes != PAD_CODE
    # argmax over a bool row finds the first residue; all-padding rows get start 0.
    start = present.to(torch.uint8).argmax(dim=1)
    length = present.sum(dim=1)
    return start, length


def reverse_complement_codes(codes: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Reverse-complement each row's residues in place of the originals.

    Padding stays where it was, so a right-padded row stays right-padded.

    Parameters
    ----------
    codes : torch.Tensor of shape (N, L), dtype uint8
    table : torch.Tensor of shape (256,)
        From :func:`complement_table`.

    Returns
    -------
    torch.Tensor of shape (N, L), dtype uint8
    """
    start, length = _residue_span(codes)
    positions = torch.arange(codes.shape[1], device=codes.device).unsqueeze(0)
    start, length = start.unsqueeze(1), length.unsqueeze(1)
    inside = (positions >= start) & (positions < start + length)
    source = torch.where(inside, 2 * start + length - 1 - positions, positions)
    flipped = torch.gather(codes, 1, source)
    return table.to(codes.device)[flipped.long()].to(torch.uint8)


def random_reverse_complement(
    codes: torch.Tensor, table: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Reverse-complement a random half (in expectation) of the rows."""
    flip = torch.rand(codes.shape[0], device=codes.device, generator=generator) < 0.5
    if not bool(flip.any()):
        return codes
    out = codes.clone()
    out[flip] = reverse_complement_codes(codes[flip], table)
    return out


def random_shift(
    codes: torch.Tensor, max_shift: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift each row by a random whole number of positions in ``[-max_shift, max_shift]``.

    Residues pushed past either end are lost and the vacated positions
    become padding, so the model sees the signal at slightly different
    offsets from epoch to epoch.

    Examples
    --------
    >>> import torch
    >>> codes = torch.tensor([[0, 1, 2, 3]], dtype=torch.uint8)
    >>> out = random_shift(codes, 0)
    >>> out.tolist()
    [[0, 1, 2, 3]]
    """
    if max_shift <= 0:
        return codes
    n, width = codes.shape
    shifts = torch.randint(
        -max_shift, max_shift + 1, (n, 1), device=codes.device, generator=generator
    )
    source = torch.arange(width, device=codes.device).unsqueeze(0) - shifts
    valid = (source >= 0) & (source < width)
    gathered = torch.gather(codes, 1, source.clamp(0, width - 1))
    return torch.where(valid, gathered, torch.full_like(gathered, PAD_CODE))
