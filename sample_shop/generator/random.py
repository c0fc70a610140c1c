"""Deterministic per-row randomness from hashes: the same (seed, salt, keys) always gives the same draw.

`F.rand` depends on the partition a row lands in; a hash of the row's own keys does not, so the generator's
output is identical however Spark splits the work. Salts keep draws for different purposes independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

ColumnOrValue = Column | str | int | float

_MANTISSA = float(2**53)


def _col(key: ColumnOrValue) -> Column:
    return key if isinstance(key, Column) else F.col(key) if isinstance(key, str) else F.lit(key)


def _lit(value: Column | float) -> Column:
    return value if isinstance(value, Column) else F.lit(value)


def uniform(seed: int, salt: str, *keys: ColumnOrValue) -> Column:
    """A uniform draw in the open interval (0, 1) from xxhash64(seed, salt, keys).

    Args:
        seed: The generator seed.
        salt: Names the purpose of the draw so different purposes are independent.
        *keys: Columns (or column names, or literals) that identify the row, e.g. a user index.
    """
    hashed = F.xxhash64(F.lit(seed), F.lit(salt), *[_col(k) for k in keys])
    # The top 53 bits fill a double's mantissa exactly; +0.5 keeps the draw off 0 so logs are safe.
    # Multiplying by 2**-53 is exact, like dividing by 2**53, and compiles without a divide-by-zero check.
    return (F.shiftrightunsigned(hashed, 11).cast("double") + F.lit(0.5)) * F.lit(1.0 / _MANTISSA)


def normal(seed: int, salt: str, *keys: ColumnOrValue) -> Column:
    """A standard normal draw by the Box-Muller transform of two independent uniforms."""
    u1 = uniform(seed, f"{salt}#r", *keys)
    u2 = uniform(seed, f"{salt}#theta", *keys)
    return F.sqrt(F.lit(-2.0) * F.log(u1)) * F.cos(F.lit(2.0 * math.pi) * u2)


def lognormal(
    seed: int, salt: str, mu: Column | float, sigma: Column | float, *keys: ColumnOrValue
) -> Column:
    """exp(mu + sigma * Z): a lognormal draw whose median is exp(mu)."""
    return F.exp(_lit(mu) + _lit(sigma) * normal(seed, salt, *keys))


def choice(u: Column, values: Sequence[object], weights: Sequence[Column | float]) -> Column:
    """Pick `values[i]` with probability proportional to `weights[i]`, by CASE WHEN on the uniform `u`.

    Weights may be numbers or columns (e.g. persona-dependent); they need not sum to 1.
    """
    if len(values) != len(weights) or not values:
        raise ValueError(f"choice needs as many weights as values, got {len(values)} and {len(weights)}")
    if all(not isinstance(w, Column) for w in weights):
        total = float(sum(weights))  # type: ignore[arg-type]
        bounds: list[Column] = []
        running = 0.0
        for weight in weights:
            running += float(weight) / total  # type: ignore[arg-type]
            bounds.append(F.lit(running))
        scaled = u
    else:
        cumulative = [_lit(weights[0])]
        for weight in weights[1:]:
            cumulative.append(cumulative[-1] + _lit(weight))
        bounds = cumulative
        scaled = u * cumulative[-1]
    expr = F.when(scaled < bounds[0], F.lit(values[0]))
    for value, bound in zip(values[1:-1], bounds[1:-1], strict=True):
        expr = expr.when(scaled < bound, F.lit(value))
    # The last value takes the remainder, so rounding of the bounds never yields null.
    return expr.otherwise(F.lit(values[-1]))


def bernoulli_count(seed: int, salt: str, trials: int, p: Column | float, *keys: ColumnOrValue) -> Column:
    """Number of successes in `trials` independent draws with probability `p` (a binomial count)."""
    hits = [(uniform(seed, f"{salt}#{i}", *keys) < _lit(p)).cast("int") for i in range(trials)]
    total = F.lit(0)
    for hit in hits:
        total = total + hit
    return total


def geometric(u: Column, mean: Column | float) -> Column:
    """Failures before the first success with success probability 1/(mean+1), by inverse CDF (mean `mean`)."""
    keep = _lit(mean) / (_lit(mean) + F.lit(1.0))
    return F.when(_lit(mean) <= 0, F.lit(0)).otherwise(F.floor(F.log(u) / F.log(keep)).cast("int"))


def zipf_rank(u: Column, n: Column | int, exponent: Column | float) -> Column:
    """A rank in 1..n with P(rank = k) roughly proportional to k**-exponent (Zipf), in closed form.

    Inverts the CDF of the continuous power law x**-s on [1, n+1) and floors it, so no table of
    probabilities is built or joined: F(x) = (x**(1-s) - 1) / ((n+1)**(1-s) - 1). A column exponent
    must not be 1 (personas use values around it); a literal 1 uses the limit x = (n+1)**u.
    """
    size = _lit(n).cast("double") + F.lit(1.0)
    if isinstance(exponent, Column):
        one_minus_s = F.lit(1.0) - exponent
        x = F.pow(F.lit(1.0) + u * (F.pow(size, one_minus_s) - F.lit(1.0)), F.lit(1.0) / one_minus_s)
    elif abs(1.0 - exponent) < 1e-9:
        x = F.pow(size, u)
    else:
        a = 1.0 - exponent
        x = F.pow(F.lit(1.0) + u * (F.pow(size, F.lit(a)) - F.lit(1.0)), F.lit(1.0 / a))
    # x < n + 1 in exact arithmetic; the cap guards the last rounding step.
    return F.least(F.floor(x), size - F.lit(1.0)).cast("long")


def cumulative_bounds(weights: Sequence[float]) -> list[float]:
    """Upper bounds of each value's slice of [0, 1); the last bound is exactly 1."""
    total = float(sum(weights))
    bounds, running = [], 0.0
    for weight in weights:
        running += weight / total
        bounds.append(running)
    bounds[-1] = 1.0
    return bounds


# Resolution of `choice_table`: each value's probability is rounded to a multiple of 1/CHOICE_TABLE_SIZE.
CHOICE_TABLE_SIZE = 1024


def choice_table(weights: Sequence[float]) -> list[int]:
    """An inverse-CDF lookup table for `table_choice`: entry i is the index of the value whose slice of
    [0, 1) holds (i + 0.5) / CHOICE_TABLE_SIZE."""
    bounds = cumulative_bounds(weights)
    table, index = [], 0
    for i in range(CHOICE_TABLE_SIZE):
        point = (i + 0.5) / CHOICE_TABLE_SIZE
        while bounds[index] <= point:
            index += 1
        table.append(index)
    return table


def table_choice(u: Column, tables: Column, segment: Column | None = None) -> Column:
    """The 0-based value index for a uniform `u` from `choice_table` arrays laid end to end in `tables`.

    O(1) and compiled: where weights vary per row (e.g. per persona) and the draw is on a hot path,
    this replaces a CASE per value or a lambda over the bounds, at the cost of rounding probabilities
    to multiples of 1/CHOICE_TABLE_SIZE.

    Args:
        u: The uniform draw.
        tables: One or more `choice_table`s concatenated into one int array (see `literals.literal_array`).
        segment: 0-based number of the table to use (e.g. the persona's); the first when not given.
    """
    slot = F.floor(u * F.lit(CHOICE_TABLE_SIZE)) + F.lit(1)
    if segment is not None:
        slot = slot + segment * F.lit(CHOICE_TABLE_SIZE)
    return F.element_at(tables, slot.cast("int"))
