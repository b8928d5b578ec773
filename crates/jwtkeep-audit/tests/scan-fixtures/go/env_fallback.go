package auth

import (
	"os"

	"github.com/golang-jwt/jwt/v5"
)

func secret() []byte {
	s := os.Getenv("JWT_SECRET")
	if s == "" {
		s = "fallback-secret" // jwtkeep:expect jwt-secret-fallback
	}
	return []byte(s)
}

func Sign(c jwt.RegisteredClaims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret())
}
