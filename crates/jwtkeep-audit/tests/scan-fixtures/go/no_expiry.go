package auth

import (
	"os"

	"github.com/golang-jwt/jwt/v5"
)

func Issue(user string) (string, error) {
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": user, "admin": true}) // jwtkeep:expect jwt-no-expiry
	return token.SignedString([]byte(os.Getenv("JWT_SECRET")))
}
