"""Word/PDF export and Word import for joint responses (no Flask, no database: dataclasses in, bytes out)."""
