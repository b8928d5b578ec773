package auth

import "net/http"

func SetToken(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: "token", Value: token, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}
