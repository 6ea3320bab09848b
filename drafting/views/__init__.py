"""Blueprints, one per domain. Views load, authorize, validate, call a service, commit once."""
