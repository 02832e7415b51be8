"""JSON API for other systems, and the bearer tokens they use."""
