"""Assumptions: defaults, overrides, validation messages name field, value and range."""

import re

import numpy as np
import pytest

from gpuecon import FIELDS, Assumptions, GpueconError
from gpuecon.engine.assumptions import canonical_field
from gpuecon.engine.numbers import explicit


def test_every_field_has_unit_in_name_and_doc():
    unit_words = ("usd", "_w", "gb", "kwh", "frac", "ratio", "years", "months", "annual", "tflops", "tb_per_s",
                  "dscr")  # DSCR: a ratio by definition
    for name, field in FIELDS.items():
        assert any(u in name for u in unit_words), name
        assert field.doc, name
        assert field.unit, name


def test_defaults_and_override():
    a = Assumptions("VR NVL72")
    assert float(a.hurdle_irr_annual) == 0.156
    assert float(a.contract_term_years) == 5
    assert float(a.prepay_frac_contract) == 0.15
    assert float(a.tax_rate_frac) == 0.0
    assert float(a.socamm_gb_per_gpu) == 768  # Vera 1.5 TB / 2 GPUs
    assert float(Assumptions("GB300 NVL72").socamm_gb_per_gpu) == 0  # soldered, bundled in compute
    b = a.replace(hurdle_irr_annual=0.2)
    assert float(b.hurdle_irr_annual) == 0.2 and float(a.hurdle_irr_annual) == 0.156


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("hurdle_irr_annual", -2, "hurdle_irr_annual must be in (-1, 10], got -2"),
        ("utilization_frac", 1.5, "utilization_frac must be in (0, 1], got 1.5"),
        ("capex_compute_usd_per_gpu", -5, "capex_compute_usd_per_gpu must be in [0, 1e+07], got -5"),
        ("contract_term_years", 2.01, "whole months"),
        ("deployment_lag_months", 1.5, "whole number"),
        ("socamm_gross_margin_frac", 1.0, "socamm_gross_margin_frac must be in [0, 1)"),
        ("pue_ratio", float("nan"), "pue_ratio must be in [1, 5], got nan"),
    ],
)
def test_out_of_range_errors(field, value, fragment):
    with pytest.raises(GpueconError) as err:
        Assumptions("VR NVL72", **{field: value})
    assert fragment in str(err.value)
    assert err.value.field == field


def test_array_validation_reports_first_bad_value():
    with pytest.raises(GpueconError, match="got 2"):
        Assumptions("VR NVL72", utilization_frac=np.array([0.5, 2.0, 3.0]))


def test_non_numeric_and_unknown_field():
    with pytest.raises(GpueconError, match="must be a number"):
        Assumptions("VR NVL72", pue_ratio="high")
    with pytest.raises(GpueconError, match="unknown field 'pue'"):
        Assumptions("VR NVL72", pue=1.2)


def test_custom_system_needs_capex_and_power():
    with pytest.raises(GpueconError, match="capex_compute_usd_per_gpu is required"):
        Assumptions(None, it_w_per_gpu=1000)
    a = Assumptions(None, capex_compute_usd_per_gpu=50_000, it_w_per_gpu=1500, tflops_fp8_dense=4000)
    assert float(a.capex_networking_usd_per_gpu) == 0


def test_aliases():
    assert canonical_field(" Hurdle_IRR ") == "hurdle_irr_annual"
    assert canonical_field("prepay") == "prepay_frac_contract"
    with pytest.raises(GpueconError, match="unknown field 'nonsense': see `gpuecon assumptions`"):
        canonical_field("nonsense")
    with pytest.raises(GpueconError, match="did you mean hurdle_irr, hurdle_irr_annual"):
        canonical_field("hurdel_irr")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hurdle_irr_annual", 8, "hurdle_irr_annual = 8 looks like a percent typed as a whole number: 8 means 800%; "
                             "for 8% write 0.08 or 8%"),
    ("cost_of_capital_annual", 10, "10 means 1000%; for 10% write 0.1 or 10%"),
    ("utilization_frac", 80, "utilization_frac must be in (0, 1], got 80 (80 means 8000%; for 80% write 0.8 or 80%)"),
    ("residual_value_frac_capex", 3, "to mean 300%, write 300%"),
    ("hurdle_irr_annual", True, "hurdle_irr_annual must be a number, got True"),
    ("prepay_frac_contract", np.array([True, False]), "prepay_frac_contract must be a number"),
])
def test_percent_typos_and_booleans_are_refused(field, value, message):
    with pytest.raises(GpueconError, match=re.escape(message)):
        Assumptions("VR NVL72", **{field: value})


def test_percent_typed_with_a_sign_is_taken_as_meant():
    assert float(Assumptions("VR NVL72", hurdle_irr_annual="800%").hurdle_irr_annual) == 8.0
    assert float(Assumptions("VR NVL72", hurdle_irr_annual="20%").hurdle_irr_annual) == 0.2
    assert float(Assumptions("VR NVL72", residual_value_frac_capex=explicit(3)).residual_value_frac_capex) == 3.0
    arr = Assumptions("VR NVL72", hurdle_irr_annual=explicit([0.1, 2.0])).hurdle_irr_annual
    np.testing.assert_array_equal(arr, [0.1, 2.0])
    with pytest.raises(GpueconError, match="2 means 200%"):
        Assumptions("VR NVL72", hurdle_irr_annual=np.array([0.1, 2.0]))
