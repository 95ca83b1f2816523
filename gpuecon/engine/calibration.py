"""The source's published figures (seed 001) against the model at default assumptions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import model

VR, GB, H100 = "VR NVL72", "GB300 NVL72", "H100 SXM"


def _cent(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def rows() -> list[dict]:
    """One dict per published figure: what, published, model, rule, status."""
    f = lambda v: float(v)  # noqa: E731
    out = []

    def add(what, published, value, rule):
        if rule == "1%":
            ok = abs(value / published - 1) <= 0.01
        elif rule == "cent":
            ok = _cent(value) == published
        elif rule == "1% or cent":
            ok = abs(value / published - 1) <= 0.01 or _cent(value) == published
        elif rule.startswith("±"):  # an absolute band, for figures the source gives as "~N%"
            ok = abs(value - published) <= float(rule[1:])
        else:
            ok = None
        out.append({"figure": what, "published": published, "model": value, "rule": rule,
                    "status": "ok" if ok else ("reported" if ok is None else "MISS")})

    add("TCO per GPU-hour, GB300 NVL72", 2.69, f(model.tco_usd_per_gpu_hour(GB)), "1%")
    add("TCO per GPU-hour, VR NVL72", 4.18, f(model.tco_usd_per_gpu_hour(VR)), "1%")
    add("VR floor rent, 15.6% hurdle, 5 y, 15% prepay", 4.92, f(model.floor_rent(VR)), "1%")
    # "~70% higher" read as a rounding to the nearest 5 points: 1.65-1.75
    add("TCO per GPU, GB300 / H100 (source: ~70% higher)", 1.70,
        f(model.tco_usd_per_gpu_hour(GB)) / f(model.tco_usd_per_gpu_hour(H100)), "±0.05")
    add("Capex per W (all-in IT W), GB300", 37.4, f(model.capex_per_watt(GB)), "1%")
    add("Capex per W (all-in IT W), VR", 38.1, f(model.capex_per_watt(VR)), "1%")
    add("Ceiling at $0.70/PFLOP-h FP8, VR", 12.25, f(model.ceiling_rent(VR, 0.70)), "cent")
    add("Ceiling at $0.55/PFLOP-h FP8, VR", 9.63, f(model.ceiling_rent(VR, 0.55)), "cent")
    add("Rent per PFLOP-h at $4.90, VR FP8", 0.28, f(model.rent_per_pflop(VR, 4.90)), "cent")
    add("Rent per PFLOP-h at $8.00, VR FP8", 0.46, f(model.rent_per_pflop(VR, 8.00)), "cent")
    for system, label, basis, pub in [(GB, "GB300", "BF16", 1.07), (VR, "VR", "BF16", 1.04), (GB, "GB300", "FP8", 0.54),
                                      (VR, "VR", "FP8", 0.24), (GB, "GB300", "FP4", 0.18), (VR, "VR", "FP4", 0.12),
                                      (VR, "VR", "FP4_SPARSE", 0.08)]:
        add(f"TCO per PFLOP-h {basis}, {label}", pub, f(model.tco_per_pflop_hour(system, basis=basis)), "1% or cent")
    add("GB300 IRR at its market rent $3.50 (source: 15.6%)", 0.156, f(model.project_irr(GB, 3.50)), "reported")
    add("GB300 rent at the 15.6% hurdle", 3.50, f(model.floor_rent(GB)), "reported")
    add("VR IRR at $8.00, today's system price (source: 38%)", 0.38, f(model.project_irr(VR, 8.0)), "reported")
    add("VR IRR at $8.00, system price +40%", 0.38, f(model.project_irr(VR, 8.0, system_price_uplift_frac=0.40)), "reported")
    add("VR IRR at $8.00, system price +40%, maintenance $ held", 0.38,
        f(model.project_irr(VR, 8.0, system_price_uplift_frac=0.40, maintenance_frac_capex_per_year=0.025 / 1.4)), "reported")
    return out


def markdown() -> str:
    lines = ["| figure (seed 001) | published | model | rule | status |", "|---|---:|---:|---|---|"]
    for r in rows():
        lines.append(f"| {r['figure']} | {r['published']:g} | {r['model']:.4f} | {r['rule']} | {r['status']} |")
    return "\n".join(lines)
