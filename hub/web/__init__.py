"""The worklist's pages: care-team accounts, signed sessions with CSRF protection, and the
server-rendered views (Jinja2 templates and the assets they use, all shipped in the package:
hospital networks are closed, nothing comes from a CDN)."""
