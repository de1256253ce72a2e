"""``bioseq models``: list the registered model presets with their sizes."""

from __future__ import annotations

import json

import click


@click.command("models")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list instead of a table.")
@click.option("--in-channels", type=click.IntRange(min=1), default=4, show_default=True,
              help="Alphabet size A used to count parameters (4 for DNA/RNA, 20 for protein).")
@click.option("--n-outputs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Number of logits used to count parameters.")
@click.option("--length", type=click.IntRange(min=1), default=300, show_default=True,
              help="Input length in residues used to count the parameters of presets whose "
                   "size depends on it (cnn-positional).")
def models(as_json: bool, in_channels: int, n_outputs: int, length: int) -> None:
    """List the model presets, their input kind and parameter counts.

    Parameter counts are for the preset's default sizes with the given
    alphabet size and number of outputs. Token models keep their default
    vocab_size, and kmer-logreg counts in_channels**k features. Presets
    with a kernel that spans the sequence are counted at --length.
    """
    from bioseq.models.registry import count_parameters, get_model, list_models, model_spec

    rows = []
    for name in list_models():
        spec = model_spec(name)
        arguments = {"n_outputs": n_outputs}
        if "in_channels" in spec.arguments:
            arguments["in_channels"] = in_channels
        if spec.needs_length:
            arguments["max_len"] = length
        model = get_model(name, **arguments)
        rows.append({
            "name": name,
            "family": spec.family.__name__,
            "input_kind": model.input_kind,
            "n_parameters": count_parameters(model),
            "description": spec.description,
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    name_width = max(len(row["name"]) for row in rows)
    kind_width = max(len(row["input_kind"]) for row in rows)
    click.echo(f"{'name':<{name_width}}  {'input':<{kind_width}}  {'parameters':>10}  description")
    for row in rows:
        click.echo(
            f"{row['name']:<{name_width}}  {row['input_kind']:<{kind_width}}  "
            f"{row['n_parameters']:>10,}  {row['description']}"
        )
