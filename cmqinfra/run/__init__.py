"""Running a command against a target: the session (load, connect, confirm, save, report) and the
executor that carries a Plan's steps out against the API."""
