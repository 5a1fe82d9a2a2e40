from django.urls import include, path

from accounts import views

# Before allauth's own addresses under accounts/: its login and logout are these.
urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/login/", views.SignInView.as_view(), name="account_login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/logout/", views.sign_out, name="account_logout"),
    path("accounts/break-glass/<str:token>/", views.break_glass, name="break_glass"),
    path("accounts/", include("allauth.urls")),
]
