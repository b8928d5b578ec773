package auth

import (
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func Issue(user string) (string, error) {
	claims := jwt.MapClaims{"sub": user, "exp": time.Now().Add(15 * time.Minute).Unix()}
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	return token.SignedString([]byte(os.Getenv("JWT_SECRET")))
}
