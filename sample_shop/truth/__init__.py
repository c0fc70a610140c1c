"""Scoring the behaviour pipeline against the sample-data generator's ground truth (`<lake.root>/truth/`)."""
