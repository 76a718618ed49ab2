"""Bearer tokens from the team's identity provider, verified against its published keys (JWKS).

Nothing is imported here, so importing one module imports no other. Its settings (AUTH_*) are in
`core/auth_settings.py`: core imports nothing from auth or api; api imports auth, auth imports core.
"""
