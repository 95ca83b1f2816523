"""The One Chart sheet: 41 rents from 0.6 x floor to 1.1 x max(ceiling, floor), the project IRR at
each (one array formula over the schedule's cash flows), the marker series (floor and ceiling as
verticals, the hurdle as a horizontal line, the floor point) and the native scatter chart.
"""

from __future__ import annotations

import numpy as np
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import Marker

from ..engine.model import project_irr
from .book import Book, header, widths
from .calc import CONSTANTS, Calc
from .styles import NOTE, PCT1, SECTION, TITLE, USD2, USD4

CHART_POINTS = 41


def scatter_chart(title: str, x_title: str, y_title: str, x_format: str | None, y_format: str) -> ScatterChart:
    """A native line scatter chart in the template's style (axes shown, legend below, 11 x 20 cm)."""
    ch = ScatterChart()
    ch.title = title
    ch.style = 13
    ch.scatterStyle = "lineMarker"
    ch.x_axis.title, ch.y_axis.title = x_title, y_title
    if x_format:
        ch.x_axis.number_format = x_format
    ch.y_axis.number_format = y_format
    ch.x_axis.delete = ch.y_axis.delete = False
    ch.height, ch.width = 11, 20
    ch.legend.position = "b"
    return ch


def write_one_chart(book: Book, c: Calc, res: dict) -> tuple[np.ndarray, np.ndarray]:
    ws = book.ws("One Chart")
    widths(ws, {"A": 8, "B": 14, "C": 14, "D": 3, "E": 30, "F": 14, "G": 14})
    book.text(ws, "A1", "The One Chart: project IRR against rent", TITLE)
    book.text(ws, "A2", "Built-in formulas: each IRR is one array formula over the schedule's cash flows "
                        "(excluding rent + rent x per-$1 flows). Floor and ceiling are marked.", NOTE)
    floor, ceil = res["floor"], res["ceiling"]
    lo = CONSTANTS["chart_rent_low_frac_floor"][0] * floor
    hi = CONSTANTS["chart_rent_high_frac_ceiling"][0] * max(ceil, floor)
    # summary block E:G
    book.text(ws, "E4", "Chart parameters", SECTION)
    book.text(ws, "E5", "Lowest rent")
    book.formula(ws, "F5", "=chart_rent_low_frac_floor*floor_rent_usd_per_gpu_hour", lo, USD2)
    book.text(ws, "E6", "Highest rent")
    book.formula(ws, "F6", "=chart_rent_high_frac_ceiling*MAX(ceiling_rent_usd_per_gpu_hour,floor_rent_usd_per_gpu_hour)",
                 hi, USD2)
    step = (hi - lo) / (CHART_POINTS - 1)
    book.text(ws, "E7", "Step")
    top, bot = 5, 5 + CHART_POINTS - 1
    book.formula(ws, "F7", f"=(F6-F5)/MAX(A{top}:A{bot})", step, USD4)
    book.text(ws, "E8", "System")
    book.formula(ws, "F8", "=system_name", c.system)
    book.text(ws, "E9", "Hurdle IRR")
    book.formula(ws, "F9", "=hurdle_irr_annual", float(c.a.hurdle_irr_annual), PCT1)
    book.text(ws, "E10", "Headroom (system price +%)")
    book.formula(ws, "F10", "=headroom_frac", res["head"], PCT1)

    header(ws, 4, ["Point", "Rent USD/GPU-hr", "Project IRR"])
    rents = np.array([lo + step * k for k in range(CHART_POINTS)])
    irr = np.asarray(project_irr(c.a, rents), float)
    for k in range(CHART_POINTS):
        r = top + k
        if k == 0:
            book.text(ws, f"A{r}", 0)
        else:
            book.formula(ws, f"A{r}", f"=A{r - 1}+1", float(k))
        book.formula(ws, f"B{r}", f"=$F$5+$F$7*A{r}", rents[k], USD2)
        x = f"(1+IRR(cash_flow_excl_rent+B{r}*cash_flow_per_rent,hurdle_monthly))^months_per_year-1"
        # no IRR as a return where month 0 is an inflow (prepay above capex) or above the cap, as the engine
        first = f"INDEX(cash_flow_excl_rent,1)+B{r}*INDEX(cash_flow_per_rent,1)"
        book.formula(ws, f"C{r}", f"=IF({first}>0,#N/A,IF({x}>irr_cap_annual,#N/A,{x}))", irr[k] if np.isfinite(irr[k]) else "#N/A",
                     PCT1, array=f"C{r}")
    book.name("chart_rents", ws.title, f"B{top}:B{bot}")
    # marker series: floor and ceiling verticals, hurdle line, floor point
    # Excel's MIN/MAX over no numbers is 0 (every rent without an IRR as a return, e.g. 100% prepay)
    shown = irr[np.isfinite(irr)]
    ymin, ymax = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 0.0)
    irr_rng = f"C{top}:C{bot}"  # points above irr_cap_annual are #N/A: skipped by the chart and the markers
    book.text(ws, "E12", "Markers", SECTION)
    header(ws, 13, ["Series", "Rent", "IRR"], col=5)
    marks = [
        ("Floor (low)", "=floor_rent_usd_per_gpu_hour", floor, f"=MIN(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymin),
        ("Floor (high)", "=floor_rent_usd_per_gpu_hour", floor, f"=MAX(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymax),
        ("Ceiling (low)", "=ceiling_rent_usd_per_gpu_hour", ceil, f"=MIN(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymin),
        ("Ceiling (high)", "=ceiling_rent_usd_per_gpu_hour", ceil, f"=MAX(IF(ISNUMBER({irr_rng}),{irr_rng}))", ymax),
        ("Hurdle (left)", "=F5", lo, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
        ("Hurdle (right)", "=F6", hi, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
        ("Floor at hurdle", "=floor_rent_usd_per_gpu_hour", floor, "=hurdle_irr_annual", float(c.a.hurdle_irr_annual)),
    ]
    for k, (label, fx, vx, fy, vy) in enumerate(marks):
        r = 14 + k
        book.text(ws, f"E{r}", label)
        book.formula(ws, f"F{r}", fx, vx, USD2)
        book.formula(ws, f"G{r}", fy, vy, PCT1, array=f"G{r}" if "ISNUMBER" in fy else None)

    ch = scatter_chart("Project IRR vs rent", "Rent (USD per GPU-hour)", "Project IRR (annual)", '"$"0.00', "0%")
    ch.x_axis.tickLblPos = "low"

    def add(title: str, xref: tuple[int, int, int], yref: tuple[int, int, int], color: str, marker: str | None,
            dash: str | None = None) -> None:
        xs = Reference(ws, min_col=xref[0], min_row=xref[1], max_row=xref[2])
        ys = Reference(ws, min_col=yref[0], min_row=yref[1], max_row=yref[2])
        s = Series(ys, xs, title=title)
        s.graphicalProperties.line.solidFill = color
        s.graphicalProperties.line.width = 22000
        if dash:
            s.graphicalProperties.line.dashStyle = dash
        if marker:
            s.marker = Marker(symbol=marker, size=8)
            s.marker.graphicalProperties.solidFill = color
            s.marker.graphicalProperties.line.solidFill = color
        else:
            s.marker = Marker(symbol="none")
        s.smooth = False
        ch.series.append(s)

    add("Project IRR", (2, top, bot), (3, top, bot), "1F4E79", None)
    add("Floor rent", (6, 14, 15), (7, 14, 15), "C00000", None, "dash")
    add("Ceiling rent", (6, 16, 17), (7, 16, 17), "00B050", None, "dash")
    add("Hurdle IRR", (6, 18, 19), (7, 18, 19), "7F7F7F", None, "sysDot")
    add("Floor at hurdle", (6, 20, 20), (7, 20, 20), "C00000", "circle")
    ch.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.08, w=0.95, h=0.75))
    ws.add_chart(ch, "I4")
    return rents, irr


