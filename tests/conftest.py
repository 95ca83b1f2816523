"""Shared test set-up: the LibreOffice requirement and markers.

LibreOffice (``soffice``) is the independent spreadsheet engine the template and recalculation
tests compare against. Without it those tests are *skipped with the reason printed* on a
developer machine (``pytest -ra`` lists them), and *fail* where ``GPUECON_REQUIRE_LIBREOFFICE=1``
(``.ci/run`` sets it), so CI never passes without them.
"""

from __future__ import annotations

import os

import pytest

from gpuecon.xlsx import libreoffice

SOFFICE_MISSING = ("LibreOffice (soffice) not found on PATH: install it (Debian: apt-get install "
                   "libreoffice-calc-nogui) to compare the template and recalculation with an independent "
                   "spreadsheet engine")


def require_soffice() -> None:
    """Skip (developer machine) or fail (GPUECON_REQUIRE_LIBREOFFICE=1, as in CI) without soffice."""
    if libreoffice.find_soffice() is not None:
        return
    if os.environ.get("GPUECON_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(SOFFICE_MISSING)
    pytest.skip(SOFFICE_MISSING)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("libreoffice") is not None:
        require_soffice()
