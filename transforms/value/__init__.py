"""Customer lifetime value: repeat purchases by BG/NBD, order value by Gamma-Gamma, discounted CLV and tiers."""
