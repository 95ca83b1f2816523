"""Docs stay current: every assumption field is documented with its default."""

from pathlib import Path

from gpuecon.assumptions import FIELDS

ROOT = Path(__file__).resolve().parents[1]


def test_model_doc_lists_every_field():
    text = (ROOT / "docs" / "model.md").read_text()
    for name, field in FIELDS.items():
        assert f"`{name}`" in text, name
        if field.default is not None:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
            assert f"| {field.default:g} |" in row, name


def test_readme_commands_match_ci():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pytest -q" in readme and "python3 -m pytest -q" in ci
