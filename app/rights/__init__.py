"""Posting rights: derived live from valid certificates and suspensions."""
