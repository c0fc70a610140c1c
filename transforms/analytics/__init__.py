"""Behaviour analytics: activity, funnel, retention, churn and session paths (gold tables, daily)."""
