"""Share links (secret tokens granting read access to one object), their expiry, revocation and usage;
short links; and the audit log of sharing changes."""
