"""Styles of the template workbooks: the fonts (inputs in blue, titles, sections, notes), the fills
(input yellow, header blue, constant grey), the header border and wrap alignment, and the number
formats, with ``FORMATS`` mapping an engine field's unit to its number format.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

BLUE = Font(name="Calibri", size=11, color="0000FF")
BOLD = Font(name="Calibri", size=11, bold=True)
TITLE = Font(name="Calibri", size=16, bold=True, color="1F3864")
SECTION = Font(name="Calibri", size=12, bold=True, color="1F3864")
NOTE = Font(name="Calibri", size=10, italic=True, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
CONST_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Border(bottom=Side(style="thin", color="8EA9DB"))
WRAP = Alignment(wrap_text=True, vertical="top")

USD0 = '"$"#,##0'
USD2 = '"$"#,##0.00'
USD4 = '"$"#,##0.0000'
PCT1 = "0.0%"
PCT3 = "0.000%"
NUM0 = "#,##0"
NUM2 = "#,##0.00"
NUM6 = "0.000000"
FORMATS = {"USD/GPU": USD0, "USD": USD0, "USD/GB": USD2, "USD/kWh": USD4, "USD/kW-month": USD2,
           "USD/GPU-hr": USD2, "fraction": PCT1, "fraction/yr": PCT1, "annual rate": PCT1, "years": "0.00",
           "months": "0", "ratio": "0.00", "W/GPU": NUM0, "W": NUM0, "GB/GPU": NUM0, "GB": NUM0,
           "TFLOPS": NUM0, "TB/s": NUM2}
