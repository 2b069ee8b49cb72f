"""``cmqinfra export``: manifests written from live state, in the format users write by hand."""
