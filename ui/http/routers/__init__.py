"""One FastAPI router per resource; ui/http.py assembles them."""
