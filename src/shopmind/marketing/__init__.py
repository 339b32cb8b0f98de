"""Marketing: bandits over creatives and slots, uplift targeting (campaigns and coupons come in phase 2)."""
