"""Migrations for the models app, written by `tortoise makemigrations` and applied by `tortoise migrate`."""
