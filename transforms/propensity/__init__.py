"""Purchase propensity: the probability that a user places a paid order in the next `horizon_days` days
(churn risk is its complement), from the user's features and tags of one snapshot date.

labels: the label window and the time split; dataset: the model inputs of a snapshot (point in time);
model: the Spark ML pipelines (logistic regression, gradient-boosted trees); evaluation: AUC, top-decile
precision and recall, calibration; search: the candidates and the choice by validation AUC; scoring: scores
and churn-risk bands from a fitted model.
"""
