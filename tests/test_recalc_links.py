"""Issue 11: a reference to another workbook (``[1]Prices!B2``) is computed from the values the book
caches for the link in ``xl/externalLinks/externalLink1.xml``, as Excel and LibreOffice show it until the
link is updated, and stays in the report as ``external link``; a cell the cache lacks keeps the value
Excel saved."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from test_recalc import SHEET, _package

from gpuecon.recalc.workbook import recalc

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _linked_book(tmp_path: Path) -> Path:
    rows = ('<row r="1"><c r="A1"><f>[1]Prices!B2*2</f><v>10</v></c></row>'
            '<row r="2"><c r="A2"><f>SUM([1]Prices!B1:B3)</f><v>6</v></c></row>'
            '<row r="3"><c r="A3"><f>[1]Prices!C9</f><v>7</v></c></row>'
            '<row r="4"><c r="A4"><f>A1+1</f><v>11</v></c></row>'
            "<row r=\"5\"><c r=\"A5\" t=\"str\"><f>'[1]Prices'!B4&amp;\"!\"</f><v>GB300!</v></c></row>")
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {RNS}><sheets><sheet name="S" sheetId="1" '
                'r:id="rId1"/></sheets><externalReferences><externalReference r:id="rId2"/></externalReferences>'
                '</workbook>')
    wbrels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
              f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" '
              f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/externalLink" '
              'Target="externalLinks/externalLink1.xml"/></Relationships>')
    link = (f'<?xml version="1.0" encoding="UTF-8"?><externalLink {NS}><externalBook {RNS} r:id="rId1"><sheetNames>'
            '<sheetName val="Prices"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="B1">'
            '<v>1</v></cell></row><row r="2"><cell r="B2"><v>5</v></cell></row><row r="4"><cell r="B4" t="str">'
            '<v>GB300</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>')
    linkrels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/externalLinkPath" '
                'Target="prices.xlsx" TargetMode="External"/></Relationships>')
    return _package(tmp_path / "linked.xlsx", SHEET.format(dim="", rows=rows),
                    {"xl/workbook.xml": workbook.encode(), "xl/_rels/workbook.xml.rels": wbrels.encode(),
                     "xl/externalLinks/externalLink1.xml": link.encode(),
                     "xl/externalLinks/_rels/externalLink1.xml.rels": linkrels.encode()})


def test_external_references_use_the_cached_link_values(tmp_path: Path) -> None:
    res = recalc(_linked_book(tmp_path), tmp_path / "o.xlsx")
    flags = {i.address: (i.kind, i.reason) for i in res.flagged}
    assert {a: k for a, (k, _) in flags.items()} == {"S!A1": "external link", "S!A2": "external link",
                                                     "S!A3": "external link", "S!A5": "external link"}
    assert "prices.xlsx" in flags["S!A1"][1] and "computed from the values" in flags["S!A1"][1]
    assert "kept the saved value" in flags["S!A3"][1]  # C9 is not in the cache
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["S"]
    assert ws["A1"].value == 10  # 5 * 2
    assert ws["A2"].value == 6  # 1 + 5 + a blank
    assert ws["A3"].value == 7  # the saved value
    assert ws["A4"].value == 11  # a cell reading a computed external-link cell is itself exact
    assert ws["A5"].value == "GB300!"
