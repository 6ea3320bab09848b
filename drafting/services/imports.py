"""Large Word imports, parsed by a job (small ones are parsed in the request)."""
