"""A/B evaluation of campaigns: `campaigns`."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems


@dataclass(frozen=True)
class CampaignEvaluationSettings:
    """A/B evaluation of campaigns (transforms.campaigns, jobs ingest_campaigns and evaluate_campaigns)."""

    # Orders placed from a campaign's start date through its end date plus this many days are attributed.
    attribution_days_after_end: int
    # The planned share of treatment users, for the sample-ratio-mismatch check; per campaign id overrides.
    planned_treatment_share: float
    planned_treatment_shares: dict[str, float]
    # Two-sided confidence intervals at this level.
    confidence_level: float
    # The split is flagged as a sample-ratio mismatch when the chi-square test's p-value is below this.
    srm_p_value: float
    # gold.user_features columns of the day before a campaign starts, the CUPED pre-period covariates.
    conversion_covariate: str
    gmv_covariate: str

    def problems(self) -> Problems:
        if self.attribution_days_after_end < 0:
            yield "attribution_days_after_end", f"must be >= 0, got {self.attribution_days_after_end}"
        shares = {f"planned_treatment_shares.{k}": v for k, v in self.planned_treatment_shares.items()}
        shares["planned_treatment_share"] = self.planned_treatment_share
        for name, share in shares.items():
            if not 0.0 < share < 1.0:
                yield name, f"must be a share strictly between 0 and 1, got {share}"
        for name in ("confidence_level", "srm_p_value"):
            if not 0.0 < getattr(self, name) < 1.0:
                yield name, f"must be strictly between 0 and 1, got {getattr(self, name)}"
        for name in ("conversion_covariate", "gmv_covariate"):
            if not getattr(self, name).strip():
                yield name, "must name a gold.user_features column"
