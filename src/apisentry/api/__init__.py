"""API visibility: the inventory of endpoints built from real traffic, and its comparison with specs."""
