from flask import make_response
def login_response(token):
    resp = make_response("ok")
    resp.set_cookie("access_token", token)  # jwtkeep:expect jwt-insecure-cookie
    return resp
