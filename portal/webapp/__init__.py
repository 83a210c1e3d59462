"""The portal as an app on the phone: its icons and favicon."""
