"""The emulator's console at ``/_cmqinfra/console/``: static pages shipped in the package (no build
step, no CDN) over a small JSON API that is one more door of the one backend.

``guard`` decides who may use it (loopback Host and peer, a login with the emulator's credentials,
a SameSite=Strict session cookie, a CSRF token and a same-origin check on every write); ``state``
reads the backend into the same values ``cmqinfra graph`` draws; ``door`` routes the requests.
"""
