"""Scheduled jobs: plain async functions of ``now``, each run claimed once in the database."""
