"""docs/architecture.md holds: imports only run downward between the package's layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "gpuecon"

#: layer -> the gpuecon layers it may import (docs/architecture.md); "root" is gpuecon/__init__.py,
#: which imports the engine only (its public API and __version__)
ALLOWED = {
    "engine": {"engine"},
    "excel": {"engine", "excel", "root"},
    "xlsx": {"engine", "xlsx", "root"},
    "template": {"engine", "excel", "xlsx", "template", "root"},
    "recalc": {"engine", "excel", "xlsx", "recalc", "root"},
    "batch": {"engine", "excel", "xlsx", "recalc", "batch", "root"},
    "chart": {"engine", "chart", "root"},
    "cli": {"engine", "excel", "xlsx", "template", "recalc", "batch", "chart", "cli", "root"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    return parts[1]


def _imports(path: Path) -> list[str]:
    """Absolute gpuecon module names imported by ``path`` (relative imports resolved)."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    here = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                mod = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [a.name for a in node.names]
                out += [f"{mod}.{n}" if not node.module and n != "__version__" else mod for n in names]
            elif (node.module or "").startswith("gpuecon"):
                out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("gpuecon")]
    return out


MODULES = sorted(p for p in PKG.rglob("*.py") if len(p.relative_to(PKG).parts) > 1 or p.stem in ("batch", "chart"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_only_run_downward(path: Path) -> None:
    layer = path.relative_to(PKG).parts[0].removesuffix(".py")
    for mod in _imports(path):
        target = _layer(mod)
        assert target in ALLOWED[layer], f"{path.relative_to(PKG)} ({layer}) imports {mod} ({target})"


def test_no_private_names_across_modules() -> None:
    """An adapter imports engine names, not private ones (``from .model import _x`` is refused)."""
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("gpuecon")):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name not in ("__version__", "__all__")]
                assert not private, f"{path.relative_to(PKG)} imports private {private} from {node.module}"


def test_the_doc_names_every_folder() -> None:
    doc = (PKG.parent / "docs" / "architecture.md").read_text()
    for folder in (p for p in PKG.iterdir() if p.is_dir() and not p.name.startswith("__")):
        if folder.name != "data":
            assert f"{folder.name}/" in doc, folder.name


def test_the_package_root_imports_the_engine_only() -> None:
    assert {_layer(m) for m in _imports(PKG / "__init__.py")} == {"engine"}


def test_modules_are_small_or_say_why() -> None:
    """No module above about 500 lines without the reason in its docstring (docs/architecture.md)."""
    for path in PKG.rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > 520:
            doc = ast.get_docstring(ast.parse(text)) or ""
            assert "Longer than 500 lines" in doc, f"{path.relative_to(PKG)}: {len(text.splitlines())} lines, no reason given"
