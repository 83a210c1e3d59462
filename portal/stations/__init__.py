"""Stations (派出所) and the communities (社区/警务区) they own."""
