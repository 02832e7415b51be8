"""A tamper-evident, append-only audit trail: every event chains the hash of the one before."""
