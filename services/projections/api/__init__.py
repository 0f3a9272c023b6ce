"""The support API: FastAPI routes, their dependencies and response views."""
