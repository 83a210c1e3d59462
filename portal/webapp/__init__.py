"""The portal as an app on the phone: icons, manifest, the service worker and the outbox
of logs typed without signal."""
