"""Local integration API (Starlette on 127.0.0.1, bearer token)."""
