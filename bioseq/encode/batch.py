"""Model input specification and the batch encoder used by training and prediction.

An :class:`InputSpec` describes how coded sequences become model input. It is
stored in every model file (``InputSpec.to_dict()``), so prediction encodes
exactly as training did. :func:`encode_batch` applies it to a batch of codes
on the batch's device; :func:`validate_inputs` checks a whole
:class:`~bioseq.sequences.SequenceSet` against it first, so length and
token problems are reported by record id before training starts.

Examples
--------
>>> import torch
>>> spec = InputSpec(kind="onehot", length=4, pad="right")
>>> batch = encode_batch(spec, torch.tensor([[0, 1, 2, 255]], dtype=torch.uint8),
...                      torch.tensor([3]))
>>> tuple(batch["x"].shape), batch["mask"][0].tolist()
((1, 4, 4), [True, True, True, False])
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bioseq.alphabet import PAD_CODE, get_alphabet
from bioseq.encode.codes import PAD_SIDES, TRUNCATE_SIDES, plan_layout, record_plan
from bioseq.encode.onehot import AMBIGUITY_POLICIES
from bioseq.errors import ConfigError, SequenceError

if TYPE_CHECKING:
    import torch

    from bioseq.sequences import SequenceSet

InputKind = Literal["onehot", "tokens", "kmer_frequencies"]
INPUT_KINDS: tuple[str, ...] = ("onehot", "tokens", "kmer_frequencies")
#: Largest feature count (``A ** k``) of a dense k-mer frequency input.
MAX_KMER_FEATURES = 4**8


@dataclass(frozen=True)
class InputSpec:
    """Specification of the model input built from coded sequences.

    Parameters
    ----------
    kind : {"onehot", "tokens", "kmer_frequencies"}
        ``onehot``: float32 ``(N, A, L)``. ``tokens``: int64 k-mer token
        ids ``(N, T)`` with the vocabulary of
        :class:`~bioseq.encode.tokens.KmerTokenizer`. ``kmer_frequencies``:
        float32 ``(N, A ** k)``, each row summing to 1 (or 0 without k-mers).
    alphabet : {"dna", "rna", "protein"}, default="dna"
    length : int or None, default=None
        Fixed input length in residues; None pads each batch to its longest
        sequence.
    pad : {"right", "left", "both"} or None, default=None
        Padding of sequences shorter than a fixed ``length``; None makes
        them an error. Tokens are always padded on the right.
    truncate : {"right", "left", "center"} or None, default=None
        Which end of sequences longer than ``length`` is cut; None makes
        them an error.
    ambiguity : {"fractional", "zeros", "error"}, default="fractional"
        One-hot encoding of ambiguity codes.
    k : int or None, default=None
        k-mer size; required for ``tokens`` and ``kmer_frequencies``.
    stride : int, default=1
        Step between k-mer starts; ``stride=k`` gives non-overlapping tokens.
    canonical : bool, default=False
        Count a k-mer and its reverse complement together
        (``kmer_frequencies`` on DNA or RNA).
    add_cls : bool, default=False
        Start each token sequence with ``[CLS]``.
    """

    kind: InputKind
    alphabet: str = "dna"
    length: int | None = None
    pad: str | None = None
    truncate: str | None = None
    ambiguity: str = "fractional"
    k: int | None = None
    stride: int = 1
    canonical: bool = False
    add_cls: bool = False

    def __post_init__(self) -> None:
        def invalid(key: str, allowed: str) -> ConfigError:
            value = getattr(self, key)
            return ConfigError(f"invalid input {key} {value!r}; expected {allowed}")

        if self.kind not in INPUT_KINDS:
            raise invalid("kind", f"one of {list(INPUT_KINDS)}")
        try:
            alpha = get_alphabet(self.alphabet)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        object.__setattr__(self, "alphabet", alpha.name)
        if self.length is not None and (not isinstance(self.length, int) or self.length < 1):
            raise invalid("length", "a positive integer or None")
        if self.pad is not None and self.pad not in PAD_SIDES:
            raise invalid("pad", f"one of {list(PAD_SIDES)} or None")
        if self.truncate is not None and self.truncate not in TRUNCATE_SIDES:
            raise invalid("truncate", f"one of {list(TRUNCATE_SIDES)} or None")
        if self.ambiguity not in AMBIGUITY_POLICIES:
            raise invalid("ambiguity", f"one of {list(AMBIGUITY_POLICIES)}")
        if not isinstance(self.stride, int) or self.stride < 1:
            raise invalid("stride", "a positive integer")
        if self.kind == "onehot":
            return
        if not isinstance(self.k, int) or self.k < 1:
            raise invalid("k", f"a positive integer (k-mer size) for kind {self.kind!r}")
        if self.length is not None and self.length < self.k:
            raise invalid("length", f"at least k={self.k}")
        if self.kind == "tokens" and self.pad not in (None, "right"):
            raise invalid("pad", "'right' or None for tokens, which are padded on the right")
        if self.kind == "kmer_frequencies" and alpha.size**self.k > MAX_KMER_FEATURES:
            raise invalid("k", f"at most {int(np.log(MAX_KMER_FEATURES) / np.log(alpha.size))} "
                          f"for dense {alpha.name} k-mer frequencies "
                          f"({alpha.size}**k features)")
        if self.canonical and not alpha.is_nucleic:
            raise ConfigError("canonical k-mers need a DNA or RNA alphabet, not protein")

    @property
    def n_channels(self) -> int:
        """One-hot channels ``A`` of the alphabet."""
        return get_alphabet(self.alphabet).size

    @property
    def n_features(self) -> int:
        """Width of a k-mer frequency row, ``A ** k``."""
        return get_alphabet(self.alphabet).size ** int(self.k or 0)

    @property
    def vocab_size(self) -> int:
        """Size of the token vocabulary: four special tokens plus ``A ** k`` k-mers."""
        from bioseq.encode.tokens import N_SPECIAL_TOKENS

        return N_SPECIAL_TOKENS + self.n_features

    def n_tokens(self, length: int) -> int:
        """Token positions ``T`` for a row of ``length`` residues."""
        k = int(self.k or 1)
        windows = (length - k) // self.stride + 1 if length >= k else 0
        return windows + int(self.add_cls)

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        """Build a spec from :meth:`to_dict` output.

        Raises
        ------
        ConfigError
            For an unknown key (the message lists the allowed keys), a
            missing ``kind`` or an invalid value.

        Examples
        --------
        >>> spec = InputSpec(kind="tokens", k=3, stride=3)
        >>> InputSpec.from_dict(spec.to_dict()) == spec
        True
        """
        allowed = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ConfigError(f"unknown input key(s) {unknown}; allowed keys: {allowed}")
        if "kind" not in data:
            raise ConfigError(f"input spec has no 'kind'; expected one of {list(INPUT_KINDS)}")
        return cls(**data)


def validate_inputs(
    spec: InputSpec, seqs: SequenceSet, *, transforms: Counter | None = None
) -> None:
    """Check a sequence set against a spec, naming records at fault.

    Call it once on a data set before batches are encoded. Length policies
    are checked and counted, tokens are checked for too many ``[UNK]``
    (see :class:`~bioseq.encode.tokens.KmerTokenizer`) and k-mer inputs warn
    about records shorter than ``k``.

    Raises
    ------
    SequenceError
        If the alphabet differs, a record breaks the length policy, or (with
        ``ambiguity="error"``) contains an ambiguity code.
    """
    if seqs.alphabet.name != spec.alphabet:
        raise SequenceError(
            f"the model input is {spec.alphabet} but the sequences are {seqs.alphabet.name}; "
            "read them with the model's alphabet"
        )
    plan = plan_layout(seqs.lengths, spec.length, ids=seqs.ids, pad=spec.pad,
                       truncate=spec.truncate)
    record_plan(plan, transforms, fixed=spec.length is not None)
    if spec.kind == "onehot":
        if spec.ambiguity == "error":
            from bioseq.encode.onehot import _raise_on_ambiguity

            _raise_on_ambiguity(seqs.codes, seqs.offsets, seqs.ids, seqs.alphabet)
        return

    from bioseq.encode.kmer import warn_short
    from bioseq.encode.tokens import KmerTokenizer

    if spec.kind == "tokens":
        tokenizer = KmerTokenizer(spec.k, alphabet=spec.alphabet, stride=spec.stride,
                                  add_cls=spec.add_cls)
        tokenizer.check_unknown(seqs)
    else:
        warn_short(seqs, int(spec.k))


def _layout_torch(spec: InputSpec, codes: torch.Tensor,
                  lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad or truncate a batch of codes on its device following the spec."""
    import torch

    n_rows, width = codes.shape
    lengths = lengths.to(device=codes.device, dtype=torch.long).reshape(-1)
    if spec.length is None:
        target = width
        n_copy = lengths.clamp(max=width)
        src_start = torch.zeros_like(lengths)
        dst_start = torch.zeros_like(lengths)
    else:
        target = spec.length
        too_long = lengths > target
        too_short = lengths < target
        if spec.truncate is None and bool(too_long.any()):
            row = int(torch.nonzero(too_long)[0])
            raise SequenceError(
                f"batch row {row} has length {int(lengths[row])}, longer than the input length "
                f"{target}; set truncate in the input spec, or check the data set with "
                "validate_inputs() to see the record ids"
            )
        if spec.pad is None and bool(too_short.any()):
            row = int(torch.nonzero(too_short)[0])
            raise SequenceError(
                f"batch row {row} has length {int(lengths[row])}, shorter than the fixed input "
                f"length {target}; set pad in the input spec, or check the data set with "
                "validate_inputs() to see the record ids"
            )
        n_copy = lengths.clamp(max=target)
        surplus = lengths - n_copy
        src_start = {"left": surplus, "center": surplus // 2}.get(spec.truncate,
                                                                  torch.zeros_like(surplus))
        shortfall = target - n_copy
        dst_start = {"left": shortfall, "both": shortfall // 2}.get(spec.pad,
                                                                   torch.zeros_like(shortfall))

    positions = torch.arange(target, device=codes.device).expand(n_rows, target)
    relative = positions - dst_start[:, None]
    mask = (relative >= 0) & (relative < n_copy[:, None])
    if target == width and spec.length is None:
        source = codes
    else:
        index = (relative + src_start[:, None]).clamp(0, max(width - 1, 0))
        source = torch.gather(codes, 1, index) if width else codes.new_zeros((n_rows, target))
    laid = torch.where(mask, source, torch.full_like(source, PAD_CODE))
    return laid, mask


def encode_batch(
    spec: InputSpec, codes: torch.Tensor, lengths: torch.Tensor
) -> dict[str, torch.Tensor | None]:
    """Encode a batch of codes as model input on the codes' device.

    Parameters
    ----------
    spec : InputSpec
    codes : torch.Tensor of shape (N, W), dtype uint8
        Right-padded codes; positions at or after ``lengths[i]`` are ignored.
    lengths : torch.Tensor of shape (N,)
        Residues in each row.

    Returns
    -------
    dict
        ``x``: float32 ``(N, A, L)`` for onehot, int64 ``(N, T)`` for
        tokens, float32 ``(N, A ** k)`` for k-mer frequencies. ``mask``:
        bool ``(N, L)`` (True at residues) for onehot, ``(N, T)`` (True at
        real tokens) for tokens, None for k-mer frequencies.

    Raises
    ------
    SequenceError
        If a row breaks the spec's length policy. The batch has no record
        ids, so run :func:`validate_inputs` on the data set first.
    """
    if codes.ndim != 2:
        raise ValueError(f"codes must have shape (N, W), got {tuple(codes.shape)}")
    laid, mask = _layout_torch(spec, codes, lengths)
    if spec.kind == "onehot":
        from bioseq.encode.onehot import onehot_torch

        return {"x": onehot_torch(laid, spec.alphabet, spec.ambiguity), "mask": mask}
    from bioseq.encode.kmer import kmer_frequencies_torch
    from bioseq.encode.tokens import kmer_tokens_torch

    alpha = get_alphabet(spec.alphabet)
    if spec.kind == "tokens":
        tokens, token_mask = kmer_tokens_torch(laid, mask, k=int(spec.k), stride=spec.stride,
                                               n_letters=alpha.size, add_cls=spec.add_cls)
        return {"x": tokens, "mask": token_mask}
    frequencies = kmer_frequencies_torch(laid, k=int(spec.k), stride=spec.stride,
                                         n_letters=alpha.size, canonical=spec.canonical)
    return {"x": frequencies, "mask": None}
