"""Running plans: the plumbing the plan / apply / destroy commands share."""
