from django.urls import path

from flows_app import views

urlpatterns = [
    path("", views.home, name="home"),
]
