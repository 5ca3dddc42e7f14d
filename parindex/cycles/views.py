"""Pages of the cycles app."""
