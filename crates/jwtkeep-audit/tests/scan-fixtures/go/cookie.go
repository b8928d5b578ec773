package auth

import "net/http"

func SetToken(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: "token", Value: token, Path: "/"}) // jwtkeep:expect jwt-insecure-cookie
}
