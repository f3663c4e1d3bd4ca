"""Repository functions: all database access, keyword-only, each taking an AsyncSession."""
