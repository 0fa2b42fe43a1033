"""The satisfaction survey sent after an event: invitations (worker) and figures (report)."""
