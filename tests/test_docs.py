"""Docs stay current: every assumption field is documented with its default."""

from pathlib import Path

from gpuecon.engine.assumptions import FIELDS

ROOT = Path(__file__).resolve().parents[1]


def test_model_doc_lists_every_field():
    text = (ROOT / "docs" / "model.md").read_text()
    for name, field in FIELDS.items():
        assert f"`{name}`" in text, name
        if field.default is not None:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
            assert f"| {field.default:g} |" in row, name


def test_ci_runs_the_readme_commands_in_a_fresh_venv():
    """.ci/run reads the README's two quick-start commands and runs them in a new virtual environment."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "readme_commands.py")], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ['python3 -m pip install -e ".[dev]" -c constraints.txt && python3 -m gpuecon report -o out',
                   "python3 -m pytest -q"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python3 -m venv "$venv"' in ci and "readme_commands.py" in ci and "GPUECON_REQUIRE_LIBREOFFICE=1" in ci
    pins = (ROOT / "constraints.txt").read_text().splitlines()
    pinned = {line.split("==")[0].lower() for line in pins if "==" in line}
    assert {"numpy", "pandas", "openpyxl", "formulas", "pytest", "hypothesis", "pyxirr"} <= pinned


def test_calibration_doc_table_is_the_command_output():
    """docs/calibration.md shows the table `gpuecon calibration` prints at the defaults."""
    from gpuecon.engine.calibration import markdown

    assert markdown() in (ROOT / "docs" / "calibration.md").read_text()
