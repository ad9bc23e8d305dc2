"""HTML pages of casework: the home page (the user's centres and where to start)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .permissions import centers_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    centers = list(centers_for(request.user))
    return render(request, "casework/home.html", {"centers": centers})
