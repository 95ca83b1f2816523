"""Issue 9 §2: the engine never contradicts itself and never shows a meaningless number as fine.

``reference_flows`` is an independent month-by-month implementation written from docs/model.md
alone (plain Python loops, no engine formula); the engine's closed forms, explicit flows and
IRR are held to it for every field, fractional lives and lags included.
"""

import math

import numpy as np
import numpy_financial as npf
import pytest
import pyxirr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gpuecon as ge
from gpuecon import GpueconError

VR = "VR NVL72"


def reference_flows(system: str, rent: float, **kw) -> list[float]:
    """Monthly project flows per GPU, from docs/model.md's rules, one month at a time."""
    a = ge.Assumptions(system, **kw)  # only to read the field values (catalog + overrides)
    v = {k: float(x) for k, x in a.items()}
    capex = (v["capex_compute_usd_per_gpu"]
             + v["socamm_gb_per_gpu"] * v["socamm_usd_per_gb"] / (1 - v["socamm_gross_margin_frac"])
             + v["capex_networking_usd_per_gpu"] + v["capex_storage_usd_per_gpu"] + v["capex_other_usd_per_gpu"]
             ) * (1 + v["system_price_uplift_frac"])
    kw_it = v["it_w_per_gpu"] / 1000
    colo_month = kw_it * v["colocation_usd_per_kw_month"]
    opex_month = (kw_it * v["pue_ratio"] * v["power_usd_per_kwh"] * 730 + colo_month
                  + v["maintenance_frac_capex_per_year"] * capex / 12 + v["other_opex_usd_per_gpu_hour"] * 730)
    term = round(v["contract_term_years"] * 12)
    lag = round(v["deployment_lag_months"])
    life = v["useful_life_years"] * 12
    tax, prepay, hours = v["tax_rate_frac"], v["prepay_frac_contract"], 730 * v["utilization_frac"]
    flows = [-capex + (1 - tax) * prepay * rent * hours * term]
    depreciated = 0.0
    for m in range(1, lag + term + 1):
        if m <= lag:  # racks reserved: colocation only, deductible
            flows.append(-(1 - tax) * colo_month)
            continue
        k = m - lag  # k-th billed month; depreciation runs from the first, the last part-month pro-rated
        dep = capex / life * min(1.0, max(0.0, life - (k - 1)))
        depreciated += dep
        revenue = (1 - prepay) * rent * hours
        flows.append(revenue - opex_month - tax * (revenue - opex_month - dep))
    residual = v["residual_value_frac_capex"] * capex
    book = capex - depreciated
    flows[-1] += residual - tax * (residual - book)
    return flows


def annual(monthly: float) -> float:
    return (1 + monthly) ** 12 - 1


fields = st.fixed_dictionaries({
    "hurdle_irr_annual": st.floats(0.0, 0.6),
    "prepay_frac_contract": st.floats(0.0, 1.0),
    "contract_term_years": st.integers(1, 120).map(lambda m: m / 12),
    "deployment_lag_months": st.integers(0, 12),
    "tax_rate_frac": st.floats(0.0, 0.4),
    "residual_value_frac_capex": st.floats(0.0, 0.5),
    "useful_life_years": st.floats(0.05, 10.0),
    "utilization_frac": st.floats(0.2, 1.0),
    "pue_ratio": st.floats(1.0, 2.0),
    "power_usd_per_kwh": st.floats(0.0, 0.3),
    "colocation_usd_per_kw_month": st.floats(0.0, 300.0),
    "maintenance_frac_capex_per_year": st.floats(0.0, 0.1),
    "other_opex_usd_per_gpu_hour": st.floats(0.0, 0.5),
    "system_price_uplift_frac": st.floats(-0.5, 1.0),
    "cost_of_capital_annual": st.floats(0.0, 0.3),
})
systems = st.sampled_from(["VR NVL72", "GB300 NVL72", "H100 SXM", "MI355X", "B200", "H20"])


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems, st.floats(0.0, 30.0), fields)
def test_engine_agrees_with_a_month_by_month_reference(system, rent, kw):
    ref = np.array(reference_flows(system, rent, **kw))
    got = ge.cash_flows(system, rent, **kw)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9 * scale)
    m = (1 + kw["hurdle_irr_annual"]) ** (1 / 12) - 1
    assert float(ge.project_npv(system, rent, **kw)) == pytest.approx(npf.npv(m, ref), abs=1e-9 * np.abs(ref).sum())
    detail = ge.project_irr_detail(system, rent, **kw)
    first = ref[np.flatnonzero(ref)[0]] if np.any(ref) else 0.0
    if detail.reason == "":
        rate = float(detail.annual)
        assert first < 0, "an IRR is shown only where the money goes out first"
        assert rate <= ge.IRR_CAP_ANNUAL
        mr = (1 + rate) ** (1 / 12) - 1
        if rate > -0.99:  # below, the annual figure carries too few digits of the monthly rate
            assert abs(npf.npv(mr, ref)) <= 1e-8 * np.sum(np.abs(ref) * (1 + mr) ** -np.arange(len(ref)))
        peer = pyxirr.irr(ref)
        if peer is not None and np.sum(np.diff(np.sign(ref[ref != 0])) != 0) == 1:
            assert rate == pytest.approx(annual(peer), rel=1e-8, abs=1e-9)
    else:
        assert math.isnan(float(detail.annual))
        if first > 0:  # financing-type or no outlay: never a rate
            assert "prepay" in str(detail.reason)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems, fields)
def test_floor_rent_earns_the_hurdle_exactly_for_every_field(system, kw):
    floor = ge.floor_rent_detail(system, **kw)
    f = float(floor.usd_per_gpu_hour)
    assume(f > 0)
    ref = reference_flows(system, f, **kw)
    assume(ref[0] < 0)  # the prepay at the floor does not already cover the capex
    m = (1 + kw["hurdle_irr_annual"]) ** (1 / 12) - 1
    assert abs(npf.npv(m, ref)) <= 1e-9 * np.sum(np.abs(ref))
    signs = np.sign([x for x in ref if x != 0])
    if np.count_nonzero(np.diff(signs)) == 1:  # one IRR (Descartes): the peer must find the hurdle
        assert annual(pyxirr.irr(ref)) == pytest.approx(kw["hurdle_irr_annual"], abs=1e-9)
    detail = ge.project_irr_detail(system, f, **kw)
    if detail.reason == "":
        assert float(detail.annual) == pytest.approx(kw["hurdle_irr_annual"], abs=1e-9)


# --- the user's exact inputs and the messages they now get -------------------------------------

def test_prepay_095_at_3_dollars_is_financing_not_1967_percent():
    d = ge.project_irr_detail(VR, 3.0, prepay_frac_contract=0.95)
    assert math.isnan(float(d.annual))
    # NPV at the hurdle by the reference flows: the issue measured -$32.5k
    npv = npf.npv(1.156 ** (1 / 12) - 1, reference_flows(VR, 3.0, prepay_frac_contract=0.95))
    assert round(npv / 100) * 100 == -32_500
    assert str(d.reason) == (
        "no IRR as a return: the flows are financing-type (the prepay exceeds the capex, then net outflows), "
        f"so the rate would be a borrowing cost; NPV at the 15.6% hurdle: -${-npv:,.0f} per GPU")


def test_18_dollars_is_above_the_cap_and_18_60_has_no_outlay():
    high = ge.project_irr_detail(VR, 18.0)
    assert math.isnan(float(high.annual))
    assert str(high.reason).startswith("IRR above 1,000% a year: not meaningful as a return")
    ref = reference_flows(VR, 18.0)
    assert ref[0] < 0 and annual(pyxirr.irr(ref)) > 1e5  # the 888,020,939% the CLI used to print
    none = ge.project_irr_detail(VR, 18.60)
    assert reference_flows(VR, 18.60)[0] > 0  # the prepay alone exceeds the capex
    assert str(none.reason).startswith(
        "no IRR: the prepay covers the investment (no net outlay at any time), so the return is unbounded; "
        "NPV at the 15.6% hurdle: $")


def test_negative_floor_says_why():
    d = ge.floor_rent_detail(VR, residual_value_frac_capex="300%")
    assert float(d.usd_per_gpu_hour) == pytest.approx(-0.46, abs=0.005)  # the issue's -$0.46
    assert str(d.reason) == (
        "floor rent below zero (-0.46 USD/GPU-hr): at the hurdle the residual value and depreciation tax "
        "shield alone cover the capex and costs, so any rent >= 0 earns the hurdle")
    assert ge.floor_rent_detail(VR).reason == ""


def test_residual_3_without_a_percent_sign_is_a_likely_typo():
    with pytest.raises(GpueconError, match=r"residual_value_frac_capex = 3 looks like a percent typed as a whole "
                                           r"number: 3 means 300%; for 3% write 0.03 or 3% \(to mean 300%, write 300%\)"):
        ge.floor_rent(VR, residual_value_frac_capex=3)


def test_contract_longer_than_the_life_states_its_convention():
    d = ge.floor_rent_detail(VR, contract_term_years=30)
    assert str(d.note) == ("contract runs 288 months past the 6-year useful life: the GPUs serve it to the end "
                           "with no re-buy; depreciation stops at the life")
    assert ge.floor_rent_detail(VR).note == ""
    # the stated convention is what the numbers do: no depreciation after month 72, service to month 360
    flows = ge.cash_flows(VR, 5.0, contract_term_years=30, tax_rate_frac=0.2)
    np.testing.assert_allclose(flows, reference_flows(VR, 5.0, contract_term_years=30, tax_rate_frac=0.2),
                               rtol=1e-12)


def test_irr_below_minus_99_percent_a_period_is_found():
    res = ge.irr(np.array([[-100.0, 0.5]]))
    assert res.rate[0] == pytest.approx(-0.995, rel=1e-12)  # Excel =IRR({-100,0.5})
    assert res.reason[0] == 0
    res = ge.irr(np.array([[-100.0, 0.0, 0.0, 1e-6]]))
    assert res.rate[0] == pytest.approx((1e-8) ** (1 / 3) - 1, rel=1e-9)


def test_deployment_lag_pays_colocation_only_and_depreciates_from_service():
    flows = ge.cash_flows(VR, 6.0, deployment_lag_months=3, tax_rate_frac=0.25)
    colo = 3200 / 1000 * 140.0
    np.testing.assert_allclose(flows[1:4], -(1 - 0.25) * colo, rtol=1e-12)
    np.testing.assert_allclose(flows, reference_flows(VR, 6.0, deployment_lag_months=3, tax_rate_frac=0.25),
                               rtol=1e-12)


def test_a_rate_typed_as_a_percent_survives_the_irr_report():
    """hurdle 800% typed with its sign: the IRR at zero rent reports its reason, not a percent-typo error."""
    d = ge.project_irr_detail(VR, 0.0, hurdle_irr_annual="800%")
    assert str(d.reason).startswith("no IRR: the cash flows never turn positive")
    assert "NPV at the 800.0% hurdle" in str(d.reason)
