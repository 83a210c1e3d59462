"""Retention: third parties' personal data is removed after a configurable period."""
