"""Segment ids that persist across refits: a new model's clusters take the ids of the previous model's
nearest centres.

K-means numbers its clusters arbitrarily, so a weekly refit would shuffle ids (and with them labels, tags and
audiences built on them) even when the segments barely move. A refit's centres are matched one-to-one to the
previous model's by the Hungarian assignment on Euclidean distance in the new model's standardized space
(the previous centres mapped there through both scalers); a matched cluster keeps the previous id, a cluster
without a counterpart (k grew) takes a fresh id, and a previous id without one (k shrank) retires.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from scipy.optimize import linear_sum_assignment


def fresh_ids(count: int, taken: Collection[int]) -> list[int]:
    """`count` ids from 0 up, skipping `taken` (ids in use, retired or reserved for rule-based segments)."""
    ids, candidate = [], 0
    while len(ids) < count:
        if candidate not in taken:
            ids.append(candidate)
        candidate += 1
    return ids


def match_segment_ids(
    new_centres: Sequence[Sequence[float]],
    previous_centres: Mapping[int, Sequence[float]],
    reserved: Collection[int] = (),
) -> list[int]:
    """The segment id of each new cluster (by cluster index).

    Args:
        new_centres: The refit's centres, by cluster index.
        previous_centres: The previous model's segment id -> centre, in the same space as `new_centres`;
            empty for a first model.
        reserved: Ids no K-means cluster may take (the light users' segment).

    Returns:
        One id per new cluster: the id of the previous centre the Hungarian assignment pairs it with, else a
        fresh id above none of the previous or reserved ones.
    """
    previous_ids = sorted(previous_centres)
    cost = [[math.dist(new, previous_centres[i]) for i in previous_ids] for new in new_centres]
    ids: list[int | None] = [None] * len(new_centres)
    if previous_ids and new_centres:
        rows, cols = linear_sum_assignment(cost)
        for row, col in zip(rows, cols, strict=True):
            ids[row] = previous_ids[col]
    unmatched = [i for i, segment in enumerate(ids) if segment is None]
    # Fresh ids never reuse a previous id, matched or retired, so an id always means one lineage of segment.
    for index, segment in zip(unmatched, fresh_ids(len(unmatched), {*previous_ids, *reserved}), strict=True):
        ids[index] = segment
    return [int(segment) for segment in ids]  # type: ignore[arg-type]
