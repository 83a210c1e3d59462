"""Urgent notices: an officer's short message to the volunteers and hosts of a community
(a missing person with a photo, a same-day case alert, the daily briefing 每日通报), shown
at the top of their home page until it expires, copied to their inbox and given as text
for chat groups."""
