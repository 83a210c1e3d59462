"""The public front door: pages reached by a board's QR code without an account, the
intake forms (help, suggestion, claim, complaint), tracking by code, and the officers'
intake list."""
