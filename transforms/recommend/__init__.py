"""Recommendations: the time split, baselines, ALS, item similarity, the hybrid blend (candidates, exclusions,
blend) and the ranking metrics that compare them.

Every recommender here hands over its lists in one shape, USER_ID, RANK (1 = best), ITEM_ID, SCORE (the
blend adds SOURCE), so the same metrics score ALS, the baselines and the blend.
"""
