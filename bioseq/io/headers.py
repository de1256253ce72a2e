"""Take labels, splits and ids out of FASTA header text.

Four places for a label are supported:

- ``label_from="field"``: positional fields split by ``header_sep``, named by
  ``header_fields``; for ``>Q8TF40|EUKARYA|NO_SP|0`` use
  ``header_sep="|"``, ``header_fields=["id", "kingdom", "type", "partition"]``
  and ``label_field="type"``. A field named ``id`` becomes the record id.
- ``label_from="key"``: a ``key=value`` token in the header, with
  ``label_field`` as the key (``>r1 class=enhancer`` with ``label_field="class"``).
- ``label_from="last-token"``: the last whitespace-separated token of the
  header (``>RF00001_AF095839_1_346-228 5S_rRNA``).
- ``label_from="header"``: the whole header (``>24`` in a file whose headers are class names).

``split_field`` names a positional field or a key whose value is the
record's split (or cross-validation fold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bioseq.errors import ConfigError, FastaFormatError

LabelFrom = Literal["field", "key", "last-token", "header"]
LABEL_SOURCES = ("field", "key", "last-token", "header")


@dataclass(frozen=True)
class HeaderFields:
    """Positions of labels, splits and ids in FASTA headers.

    Parameters
    ----------
    header_sep : str or None
        Separator of positional fields.
    header_fields : tuple of str
        Names of the positional fields, in order.
    label_from : {"field", "key", "last-token", "header"} or None
        Where the label is; None reads no label.
    label_field : str or None
        Positional field name or key of the label.
    split_field : str or None
        Positional field name or key of the split.
    """

    header_sep: str | None = None
    header_fields: tuple[str, ...] = ()
    label_from: LabelFrom | None = None
    label_field: str | None = None
    split_field: str | None = None

    @classmethod
    def build(
        cls,
        header_sep: str | None = None,
        header_fields: list[str] | tuple[str, ...] | str | None = None,
        label_from: str | None = None,
        label_field: str | None = None,
        split_field: str | None = None,
    ) -> HeaderFields:
        """Validate header options and infer ``label_from`` where it is implied.

        ``label_field`` alone means a ``key=value`` token, unless
        ``header_fields`` is given, which makes it a positional field.

        Raises
        ------
        ConfigError
            For an unknown ``label_from``, positional fields without a
            separator, or a field name that is not among ``header_fields``.
        """
        if isinstance(header_fields, str):
            header_fields = [name.strip() for name in header_fields.split(",")]
        fields = tuple(header_fields or ())
        if label_from is None and label_field is not None:
            label_from = "field" if fields else "key"
        if label_from is not None and label_from not in LABEL_SOURCES:
            raise ConfigError(f"invalid label_from {label_from!r}; choose one of {list(LABEL_SOURCES)}")
        if fields and not header_sep:
            raise ConfigError("header_fields needs header_sep, the separator between the fields (for example '|')")
        if label_from in ("field", "key") and not label_field:
            raise ConfigError(f"label_from={label_from!r} needs label_field, the field name or key")
        if label_from == "field":
            _check_field(label_field, fields, "label_field")
        if split_field is not None and fields:
            _check_field(split_field, fields, "split_field")
        return cls(header_sep, fields, label_from, label_field, split_field)  # type: ignore[arg-type]


def _check_field(name: str | None, fields: tuple[str, ...], option: str) -> None:
    if not fields:
        raise ConfigError(f"{option}={name!r} as a positional field needs header_fields and header_sep")
    if name not in fields:
        raise ConfigError(f"{option} {name!r} is not one of header_fields {list(fields)}")


def parse_header_fields(
    spec: HeaderFields,
    headers: list[str],
    ids: list[str],
    lines: list[int],
    path: str,
) -> tuple[list[str], dict[str, list[str]]]:
    """Split headers into ids, labels and splits as ``spec`` describes.

    Parameters
    ----------
    spec : HeaderFields
    headers : list of str
        Full header text after ``>``.
    ids : list of str
        Ids chosen by the id rule; replaced by the ``id`` field when there is one.
    lines : list of int
        Line number of each header, for messages.
    path : str
        File name, for messages.

    Returns
    -------
    ids : list of str
    fields : dict of str to list of str
        ``"label"`` and ``"split"`` entries where requested; ``""`` marks a missing value.

    Raises
    ------
    FastaFormatError
        If a header has the wrong number of positional fields.
    """
    out: dict[str, list[str]] = {}
    if spec.header_fields:
        count = len(spec.header_fields)
        sep = spec.header_sep or "|"
        split_headers = []
        for header, line in zip(headers, lines, strict=True):
            parts = [part.strip() for part in header.split(sep)]
            if len(parts) != count:
                raise FastaFormatError(
                    f"{path}:{line}: header {header!r} has {len(parts)} fields separated by "
                    f"{sep!r}, expected {count} ({', '.join(spec.header_fields)})"
                )
            split_headers.append(parts)
        position = {name: i for i, name in enumerate(spec.header_fields)}
        if "id" in position:
            ids = [parts[position["id"]] for parts in split_headers]
        if spec.label_from == "field":
            out["label"] = [parts[position[spec.label_field]] for parts in split_headers]  # type: ignore[index]
        if spec.split_field is not None:
            out["split"] = [parts[position[spec.split_field]] for parts in split_headers]
    if spec.label_from == "key":
        out["label"] = [_key_value(header, spec.label_field) for header in headers]  # type: ignore[arg-type]
    elif spec.label_from == "last-token":
        out["label"] = [_last_token(header) for header in headers]
    elif spec.label_from == "header":
        out["label"] = [header.strip() for header in headers]
    if spec.split_field is not None and not spec.header_fields:
        out["split"] = [_key_value(header, spec.split_field) for header in headers]
    return ids, out


def _key_value(header: str, key: str) -> str:
    prefix = key + "="
    for token in header.replace(";", " ").split():
        if token.startswith(prefix):
            return token[len(prefix):]
    return ""


def _last_token(header: str) -> str:
    tokens = header.split()
    # A header of one token has no label after the id.
    return tokens[-1] if len(tokens) > 1 else ""
