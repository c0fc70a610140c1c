"""The sample shop: a seeded generator of a synthetic shop's raw files, the ground truth of what it planted,
and the jobs that score the pipeline's tables against that truth.

It lives beside the product (`jobs`, `transforms`, `shop_platform`) and may import it; the product imports
nothing from here, since a real shop has neither a generator nor a truth.
"""
