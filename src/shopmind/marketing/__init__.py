"""Marketing: campaigns with offers, coupons, creatives and a hold-out; bandits over creatives and slots;
uplift targeting."""
