"""Importing people and places from spreadsheets: preview, then one confirmed transaction."""
