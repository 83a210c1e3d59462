"""Shifts: kinds per community, weekly rosters, sign-ups with a waitlist, check-in/out and hours."""
