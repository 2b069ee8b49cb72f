"""Where each door of the emulator's one port begins: named apart from the doors, so that the
server routes a request without loading the doors no request has reached yet (a ``plan --local``
only ever speaks API 3.0)."""

CONSOLE_PREFIX = "/_cmqinfra/console"
ADMIN_PREFIX = "/_cmqinfra/"
CMQ_PATH = "/v2/index.php"
