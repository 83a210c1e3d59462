"""Volunteer patrollers (义警): applications, verification, skills and profiles."""
