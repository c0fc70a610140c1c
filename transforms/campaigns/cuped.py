"""CUPED (Deng et al. 2013): reduce the variance of a treatment effect with a pre-period covariate.

Each user's metric y becomes y - theta * (x - mean(x)) with theta = cov(x, y) / var(x) over both groups
pooled. Because assignment is random, x has the same expectation in both groups, so the adjusted uplift
estimates the same effect; its variance shrinks by the share of y's variance that x explains. Everything
here works on per-group moments, so Spark computes them and the driver never sees per-user rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.campaigns.stats import Comparison, GroupMoments, welch_ttest


@dataclass(frozen=True)
class CupedResult:
    theta: float
    comparison: Comparison
    # 1 - variance of the adjusted uplift / variance of the plain one (both unpooled).
    variance_reduction: float | None


def pooled_moments(a: GroupMoments, b: GroupMoments) -> GroupMoments:
    """The moments of the two groups taken together (exact, from the groups' moments)."""
    n = a.n + b.n
    mean_x = (a.n * a.mean_x + b.n * b.mean_x) / n
    mean_y = (a.n * a.mean_y + b.n * b.mean_y) / n

    def comoment(g: GroupMoments, within: float, dx: float, dy: float) -> float:
        return (g.n - 1) * within + g.n * dx * dy

    sxx = sum(comoment(g, g.var_x, g.mean_x - mean_x, g.mean_x - mean_x) for g in (a, b))
    syy = sum(comoment(g, g.var_y, g.mean_y - mean_y, g.mean_y - mean_y) for g in (a, b))
    sxy = sum(comoment(g, g.cov_xy, g.mean_x - mean_x, g.mean_y - mean_y) for g in (a, b))
    return GroupMoments(n, mean_y, syy / (n - 1), mean_x, sxx / (n - 1), sxy / (n - 1))


def cuped_theta(treatment: GroupMoments, control: GroupMoments) -> float:
    """cov(x, y) / var(x) over both groups; 0 when x does not vary (then CUPED changes nothing)."""
    pooled = pooled_moments(treatment, control)
    return pooled.cov_xy / pooled.var_x if pooled.var_x > 0 else 0.0


def adjusted(group: GroupMoments, theta: float, pooled_mean_x: float) -> GroupMoments:
    """The moments of y - theta * (x - pooled_mean_x) in `group`."""
    return GroupMoments(
        n=group.n,
        mean_y=group.mean_y - theta * (group.mean_x - pooled_mean_x),
        var_y=max(group.var_y - 2 * theta * group.cov_xy + theta**2 * group.var_x, 0.0),
        mean_x=group.mean_x,
        var_x=group.var_x,
        cov_xy=group.cov_xy - theta * group.var_x,
    )


def cuped(treatment: GroupMoments, control: GroupMoments, confidence: float) -> CupedResult | None:
    """The CUPED-adjusted Welch comparison and its variance reduction; None with fewer than 2 users a group."""
    if treatment.n < 2 or control.n < 2:
        return None
    theta = cuped_theta(treatment, control)
    mean_x = pooled_moments(treatment, control).mean_x
    t_adj, c_adj = adjusted(treatment, theta, mean_x), adjusted(control, theta, mean_x)
    plain = treatment.var_of_mean + control.var_of_mean
    reduction = 1.0 - (t_adj.var_of_mean + c_adj.var_of_mean) / plain if plain > 0 else None
    return CupedResult(theta, welch_ttest(t_adj, c_adj, confidence), reduction)
