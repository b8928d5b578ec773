def login_response(resp, token):
    resp.set_cookie("access_token", token, httponly=True, secure=True, samesite="Strict")
    return resp
