"""Notifications: an in-portal inbox per user, optionally copied by e-mail."""
