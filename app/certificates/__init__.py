"""Certificates: issued when earned, signed, rendered to PDF once, verifiable by anyone."""
