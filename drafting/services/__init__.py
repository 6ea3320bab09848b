"""The domain rules, as plain functions that take the acting user and never commit."""
