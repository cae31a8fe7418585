"""The organizers' workspace under /manage: staff accounts, roles, and running conferences."""
