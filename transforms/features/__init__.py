"""User features: daily per-user activity and the windowed, preference and recency features built on it."""
