"""Recommendations: the time split, baselines, ALS, item similarity and the ranking metrics that compare them.

Every recommender here hands over its lists in one shape, USER_ID, RANK (1 = best), ITEM_ID, SCORE, so
the same metrics score ALS, the baselines and any later blend.
"""
