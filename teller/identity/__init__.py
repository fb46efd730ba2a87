"""Identification of the customer at the counter: ID numbers, names, and the ID authenticity check (진위확인)."""
