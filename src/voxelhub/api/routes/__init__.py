"""FastAPI routers, one module per domain."""
