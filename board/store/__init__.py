"""Storage: the SQLite database with its one writer (database) and rows <-> domain objects
(repository)."""
