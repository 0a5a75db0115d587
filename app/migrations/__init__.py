"""Alembic migrations; they run on SQLite and on PostgreSQL/PostGIS."""
