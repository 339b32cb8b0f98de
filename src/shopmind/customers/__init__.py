"""Customer understanding."""
