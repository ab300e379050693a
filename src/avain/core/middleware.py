def no_store_for_signed_in_users(get_response):
    """Pages shown to a signed-in user carry personal data: browsers and proxies must not keep them."""

    def middleware(request):
        response = get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response

    return middleware
