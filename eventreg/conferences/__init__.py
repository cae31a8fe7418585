"""Conferences, their rooms and tracks, and the public pages that list them."""
