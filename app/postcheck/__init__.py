"""Checking a draft post before it goes out: what looks like patient information or a claim that needs care."""
