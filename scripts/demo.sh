#!/usr/bin/env bash
# Set up (./.venv), generate the sample shop, back-fill its whole period through the daily pipeline
# (bronze, silver, gold) with the embedded defaults and measure the results against the planted truth.
# Arguments go to the demo runner (python -m sample_shop.demo), e.g.
#   ./scripts/demo.sh --set lake.root=$HOME/lakes/shop --set generator.users=2000
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"

# The PII salt never lives in the repository: without SHOP_PII_SALT the demo makes one for this machine,
# outside the checkout, and reuses it so pseudonyms stay stable from run to run.
if [[ -z "${SHOP_PII_SALT:-}" ]]; then
  salt_file="${XDG_CONFIG_HOME:-$HOME/.config}/shop-analytics/demo_pii_salt"
  if [[ ! -s "$salt_file" ]]; then
    mkdir -p "$(dirname "$salt_file")"
    (umask 077 && python -c 'import secrets; print(secrets.token_hex(32))' > "$salt_file")
  fi
  SHOP_PII_SALT="$(cat "$salt_file")"
  export SHOP_PII_SALT
fi

# The sample period ends on 2026-10-30 (conf: generator.start_date + generator.days); a later --date wins.
exec python -m sample_shop.demo --env local --date 2026-10-30 "$@"
