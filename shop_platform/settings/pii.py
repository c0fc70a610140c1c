"""Pseudonymisation of personal data: `pii`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PiiSettings:
    """Pseudonymisation of phone and e-mail: salted SHA-256, salt never in the repository."""

    # Environment variable holding the salt (preferred: a secret scope or CI secret sets it).
    salt_env: str
    # Only for local demos and tests, set by --set or an untracked overlay; null means: use salt_env.
    salt: str | None = None
    # Per source (users, items, campaigns, campaign_assignments, order_lines): columns (our or the shop's
    # header name) whose values are masked wherever a raw record is kept, the quarantines included. Any
    # value that looks like a phone number or an e-mail address is masked there too, in whatever column.
    columns: dict[str, list[str]] = field(default_factory=lambda: {"users": ["phone", "email"]})
