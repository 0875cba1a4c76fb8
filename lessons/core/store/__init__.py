"""A class's progress in a real database: students, class codes, attempts and records (SQLAlchemy Core).

SQLite in the user cache folder by default (no set-up, one laptop); PostgreSQL for a hosted class, selected by a
database URL. Torch-free and Streamlit-free: the router, a notebook, the tests and the benchmark all use it.
"""
