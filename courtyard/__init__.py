"""Courtyard: community co-governance at city scale."""
