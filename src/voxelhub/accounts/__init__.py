"""Organizations, users, teams, memberships and roles; passwords, sessions and API tokens."""
