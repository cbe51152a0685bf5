"""The HTTP edge: thin FastAPI routers that parse, call a service and answer."""
