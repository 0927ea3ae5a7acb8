"""Storage: SQLAlchemy tables, the database connection and migrations, queries. No Qt."""
