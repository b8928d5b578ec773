package session

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func Issue(sub string) (string, error) {
	claims := jwt.RegisteredClaims{
		Subject:   sub,
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(15 * time.Minute)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(signingKey)
}

func Refresh(token *jwt.Token) (string, error) {
	return token.SignedString(token)
}
