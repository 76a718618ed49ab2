"""Bearer tokens from the team's identity provider, verified against its published keys (JWKS).

Nothing is imported here: `settings.py` imports `auth.settings`, and the other modules import the
settings, so this package stays empty to keep that one-way.
"""
