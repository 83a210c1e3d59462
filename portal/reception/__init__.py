"""Warm police reception rooms (暖心警务会客厅): the rooms, their desk log of visits, the
counters that roll up to station, district and city, and the phrasebook for foreign visitors."""
