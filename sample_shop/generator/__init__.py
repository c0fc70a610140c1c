"""Seeded, distributed sample-data generator: users, items, sessions of events, orders, campaigns, dirt.

Every random draw is a hash of (seed, salt, key columns) — see `random` — so the output depends only on the
seed and the settings, never on partitioning, and every row is generated where it lives (no driver loops).
"""
