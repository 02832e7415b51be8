"""Webhooks: tell other systems, signed, the moment posting rights or certificates change."""
