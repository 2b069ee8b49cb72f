"""The local emulator's documented credential pair.

The emulator's defaults, and what a command signs with against a loopback endpoint when the
environment has none. Kept outside the emulator package so that connecting to an endpoint does
not import the emulator.
"""

DEFAULT_SECRET_ID = "AKIDCMQINFRALOCAL"
DEFAULT_SECRET_KEY = "cmqinfra-local-secret"
