"""How long a pull-request comment may be: apart from the markdown view, so that a caller can name
the default without loading the renderer."""

GITHUB_COMMENT_LIMIT = 65_536
# What the comment itself may take: the rest is room for the saved plan's digest line (printed
# after it, cmqinfra/run/session.py) and a CI recipe's hidden marker and footer.
COMMENT_BUDGET = GITHUB_COMMENT_LIMIT - 1_000
