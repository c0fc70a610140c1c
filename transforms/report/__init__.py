"""The daily report's summaries: small DataFrames (a funnel, a heatmap's cells, five users' lists) computed in
Spark from the gold tables, so only they reach the driver to be drawn (shop_platform.reporting)."""
