"""Case pages (included at /cases/ from config/urls.py)."""

app_name = "cases"
urlpatterns: list = []
