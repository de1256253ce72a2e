"""InputSpec and encode_batch: the model input used by training and prediction."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import torch

from bioseq.encode.batch import InputSpec, encode_batch, validate_inputs
from bioseq.encode.codes import to_fixed_length
from bioseq.encode.kmer import KmerTokenizer, kmer_frequencies
from bioseq.encode.onehot import decode_onehot, encode_onehot
from bioseq.errors import BioseqWarning, ConfigError, SequenceError
from bioseq.sequences import SequenceSet


def batch_of(seqs: SequenceSet) -> tuple[torch.Tensor, torch.Tensor]:
    codes, _ = to_fixed_length(seqs)
    return torch.from_numpy(codes), torch.from_numpy(seqs.lengths)


@pytest.fixture
def seqs() -> SequenceSet:
    return SequenceSet.from_strings(["ACGTNRacgt", "GGA", "TTTTTTTTTTTTAC"], ids=["a", "b", "c"])


def test_spec_json_round_trip():
    spec = InputSpec(kind="kmer_frequencies", k=4, stride=2, canonical=True, length=100,
                     pad="both", truncate="center")
    assert InputSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_spec_unknown_key_lists_allowed():
    with pytest.raises(ConfigError, match=r"unknown input key\(s\) \['size'\].*'kind'"):
        InputSpec.from_dict({"kind": "onehot", "size": 3})


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "pixels"}, "invalid input kind 'pixels'"),
    ({"kind": "onehot", "pad": "top"}, "invalid input pad 'top'"),
    ({"kind": "onehot", "length": 0}, "invalid input length 0"),
    ({"kind": "tokens"}, "invalid input k None"),
    ({"kind": "tokens", "k": 3, "pad": "left"}, "padded on the right"),
    ({"kind": "kmer_frequencies", "k": 9}, "at most 8"),
    ({"kind": "kmer_frequencies", "k": 2, "alphabet": "protein", "canonical": True}, "canonical"),
    ({"kind": "onehot", "alphabet": "klingon"}, "unknown alphabet"),
])
def test_spec_invalid_values(fields, message):
    with pytest.raises(ConfigError, match=message):
        InputSpec.from_dict(fields)


def test_onehot_batch_matches_numpy(seqs):
    spec = InputSpec(kind="onehot", length=8, pad="both", truncate="left")
    batch = encode_batch(spec, *batch_of(seqs))
    expected = encode_onehot(seqs, length=8, pad="both", truncate="left")
    assert batch["x"].dtype == torch.float32
    assert np.array_equal(batch["x"].numpy(), expected)
    _, mask = to_fixed_length(seqs, 8, pad="both", truncate="left")
    assert np.array_equal(batch["mask"].numpy(), mask)


def test_onehot_batch_variable_length_round_trip(seqs):
    batch = encode_batch(InputSpec(kind="onehot"), *batch_of(seqs))
    assert batch["x"].shape == (3, 4, 14)
    assert decode_onehot(batch["x"], mask=batch["mask"]) == [
        "ACGTNRACGT", "GGA", "TTTTTTTTTTTTAC"
    ]


def test_batch_too_long_without_policy(seqs):
    with pytest.raises(SequenceError, match="batch row 0 has length 10, longer than .* 8"):
        encode_batch(InputSpec(kind="onehot", length=8, pad="right"), *batch_of(seqs))


def test_batch_too_short_without_policy(seqs):
    with pytest.raises(SequenceError, match="batch row 1 has length 3, shorter than .* 8"):
        encode_batch(InputSpec(kind="onehot", length=8, truncate="right"), *batch_of(seqs))


def test_tokens_batch_matches_tokenizer(seqs):
    spec = InputSpec(kind="tokens", k=3, stride=1, add_cls=True)
    batch = encode_batch(spec, *batch_of(seqs))
    with pytest.warns(BioseqWarning):
        ids, mask = KmerTokenizer(3, add_cls=True).encode(seqs)
    assert batch["x"].dtype == torch.int64
    assert np.array_equal(batch["x"].numpy(), ids)
    assert np.array_equal(batch["mask"].numpy(), mask)
    assert batch["x"].shape[1] == spec.n_tokens(14)


def test_kmer_frequencies_batch(seqs):
    spec = InputSpec(kind="kmer_frequencies", k=2, canonical=True)
    batch = encode_batch(spec, *batch_of(seqs))
    expected = kmer_frequencies(seqs, 2, canonical=True)
    assert batch["mask"] is None
    assert batch["x"].shape == (3, spec.n_features)
    assert np.allclose(batch["x"].numpy(), expected)


def test_validate_inputs_names_records(seqs):
    with pytest.raises(SequenceError, match="record 'c' is 14 residues long"):
        validate_inputs(InputSpec(kind="onehot", length=12, pad="right"), seqs)
    transforms: Counter = Counter()
    validate_inputs(InputSpec(kind="onehot", length=12, pad="right", truncate="right"), seqs,
                    transforms=transforms)
    assert transforms["truncated_records"] == 1
    assert transforms["padded_records"] == 2


def test_validate_inputs_alphabet_mismatch(seqs):
    with pytest.raises(SequenceError, match="model input is protein"):
        validate_inputs(InputSpec(kind="onehot", alphabet="protein"), seqs)


def test_validate_inputs_tokens_unknown():
    messy = SequenceSet.from_strings(["NNNNACG"], ids=["messy"])
    with pytest.warns(BioseqWarning, match="'messy'"):
        validate_inputs(InputSpec(kind="tokens", k=3), messy)


@pytest.mark.gpu
@pytest.mark.parametrize("kind", ["onehot", "tokens", "kmer_frequencies"])
def test_batch_on_cuda_matches_cpu(seqs, kind):
    spec = InputSpec(kind=kind, k=None if kind == "onehot" else 3, length=12, pad="right",
                     truncate="center")
    codes, lengths = batch_of(seqs)
    on_cpu = encode_batch(spec, codes, lengths)
    on_gpu = encode_batch(spec, codes.cuda(), lengths.cuda())
    assert on_gpu["x"].device.type == "cuda"
    assert torch.equal(on_gpu["x"].cpu(), on_cpu["x"])
    if on_cpu["mask"] is not None:
        assert torch.equal(on_gpu["mask"].cpu(), on_cpu["mask"])
