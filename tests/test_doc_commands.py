"""Every `gpuecon` command shown in README.md, addin/README.md and docs/*.md runs as shown.

The commands are read from the documents' fenced code blocks and run in order, in a scratch
folder holding copies of the committed `examples/` and `workbooks/` (so a command may use the
output of an earlier one, as a reader following the page would). A documented command that
fails is a failing test.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpuecon.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "addin" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```[\w-]*\n(.*?)^```", re.M | re.S)
_COMMAND = re.compile(r"^(?:python3? -m )?gpuecon\s")

#: Documented commands not run here, with the reason (keep this short).
NOT_RUN: dict[str, str] = {}


def doc_commands(path: Path) -> list[str]:
    """`gpuecon ...` commands in the fenced code blocks of ``path`` (``a && gpuecon b`` gives ``gpuecon b``)."""
    out = []
    for block in _FENCE.findall(path.read_text()):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = re.sub(r"\s+#\s.*$", "", part).strip()  # a trailing shell comment
                if _COMMAND.match(part):
                    out.append(part)
    return out


def _cases():
    for path in DOCS:
        if path.exists():
            cmds = doc_commands(path)
            if cmds:
                yield pytest.param(path, cmds, id=str(path.relative_to(ROOT)))


def test_the_docs_show_commands():
    """The extraction itself finds the commands the pages are known to show (so the test below is not empty)."""
    readme = doc_commands(ROOT / "README.md")
    assert "python3 -m gpuecon report -o out" in readme
    assert any(c.startswith("gpuecon batch examples/scenarios.csv") for c in readme)
    recalc = doc_commands(ROOT / "docs" / "recalc.md")
    assert any("--set hurdle_irr_annual=0.2" in c for c in recalc)
    assert any("--workbook workbooks/gpuecon_model.xlsx" in c for c in recalc)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "commands"), list(_cases()))
def test_documented_commands_run(path: Path, commands: list[str], tmp_path, monkeypatch):
    for folder in ("examples", "workbooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    runner = CliRunner()
    for command in commands:
        if command in NOT_RUN:
            continue
        args = shlex.split(command, comments=True)
        args = args[args.index("gpuecon") + 1:] if "gpuecon" in args else args
        res = runner.invoke(app, args)
        assert res.exit_code == 0, f"{path.name}: `{command}` exited {res.exit_code}:\n{res.output}\n{res.exception!r}"
