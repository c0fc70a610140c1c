"""Campaign evaluation: the marketing tool's deliveries, each user's outcome, A/B statistics, breakdowns."""
