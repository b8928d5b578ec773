package auth

import "github.com/golang-jwt/jwt/v5"

var key = []byte("my_secret_key") // jwtkeep:expect jwt-hardcoded-secret

func Sign(claims jwt.RegisteredClaims) (string, error) {
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	return token.SignedString(key)
}
