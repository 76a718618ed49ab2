"""`nox -s image`: bake each db_driver, build its image with podman and run it against PostgreSQL."""
