"""Customer lifetime value: `clv` (transforms.value, job build_customer_value)."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive


@dataclass(frozen=True)
class ValueTier:
    """One value tier: the customers whose CLV ranks within the top `top_share` and below the tier before."""

    id: str
    name_zh: str
    name_en: str
    top_share: float


@dataclass(frozen=True)
class CustomerValueSettings:
    """BG/NBD and Gamma-Gamma fitted per snapshot date on silver.orders up to the date."""

    # The unit t_x, T and the horizon are measured in, in days (7: weeks, as in the papers).
    time_unit_days: int
    # Expected repeat purchases and CLV cover the horizon_days days after the snapshot date.
    horizon_days: int
    # Yearly rate the CLV's cash flows are discounted at, one step of discount_step_days at a time.
    discount_rate: float
    discount_step_days: int
    # Holdout validation: calibrate up to D - holdout_days, compare the predictions with (D - holdout, D].
    holdout_days: int
    # Fewer customers than this on a date: no fit, no rows, a warning.
    min_customers: int
    # Registered model name (an MLflow pyfunc holding the date's parameters).
    model_name: str
    # Highest tier first; the last tier's top_share must be 1 (every customer gets a tier).
    tiers: list[ValueTier]

    def problems(self) -> Problems:
        yield from positive(self, ("time_unit_days", "horizon_days", "discount_step_days", "holdout_days"))
        if self.min_customers < 2:
            yield "min_customers", f"must be at least 2, got {self.min_customers}"
        if not 0.0 <= self.discount_rate < 1.0:
            yield "discount_rate", f"must be a yearly rate in [0, 1), got {self.discount_rate}"
        if not self.model_name.strip():
            yield "model_name", "must not be empty"
        shares = [t.top_share for t in self.tiers]
        if not self.tiers:
            yield "tiers", "must list at least one tier"
        elif any(not 0.0 < s <= 1.0 for s in shares) or shares != sorted(set(shares)):
            yield "tiers", f"top_share must rise strictly within (0, 1], got {shares}"
        elif shares[-1] != 1.0:
            yield (
                "tiers",
                f"the last tier's top_share must be 1 so every customer has a tier, got {shares[-1]}",
            )
        ids = [t.id for t in self.tiers]
        if len(set(ids)) != len(ids):
            yield "tiers", f"tier ids are listed twice: {ids}"
