"""The PostgreSQL backend of ClickNBack: Django's own, with a cheaper health check (base.py)."""
