"""The databases: the DuckDB evidence store and the SQLAlchemy application database."""
